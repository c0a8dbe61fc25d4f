"""English half of the embedded corpus: a seeded TinyStories-style story grammar.

Every story has a hero (a child or a named animal), a friend, a home, a favourite object and one or
two episodes (a lost toy, a broken toy, sharing, rain, a fear, an animal in trouble, counting fruit,
a race, baking, a trip) told with dialogue in quotes, small sums with the right answers and plain
cause and effect, followed by an ending with a moral. The text is written by this project, so it is
license-clean.

Deliberate simplifications: the grammar is a set of hand-written templates, not a language model;
stories repeat phrases far more than real children's books (that is what lets a small model learn
them in minutes). Determinism: only ``rng.choice``, ``rng.randrange`` and ``rng.random`` on lists are
used (no sets, no hashing), so a seed gives the same bytes on every machine and Python version.
"""
from __future__ import annotations

import random

from .plot import compose

__all__ = ["story"]

GIRLS = ["Lily", "Mia", "Emma", "Sara", "Anna", "Lucy", "Ella", "Zoe", "Amy", "Rose", "Ruby", "Grace",
         "Sophie", "Chloe", "Nora", "Ivy", "Hannah", "Maya", "Kate", "Jenny", "Molly", "Julia", "Alice",
         "Emily", "Clara", "Luna", "Daisy", "Poppy", "Eva", "Nina"]
BOYS = ["Tom", "Ben", "Sam", "Max", "Jack", "Leo", "Tim", "Jake", "Noah", "Finn", "Oliver", "Adam",
        "Henry", "Lucas", "Ryan", "Owen", "Dan", "Eli", "Mark", "Peter", "Joe", "Luke", "Kevin", "Alex",
        "Billy", "Charlie", "Theo", "Oscar", "Hugo", "Toby"]
# (kind, plural): animal heroes and friends.
ANIMALS = [("cat", "cats"), ("dog", "dogs"), ("rabbit", "rabbits"), ("bear", "bears"), ("fox", "foxes"),
           ("duck", "ducks"), ("mouse", "mice"), ("owl", "owls"), ("frog", "frogs"), ("pig", "pigs"),
           ("lamb", "lambs"), ("bird", "birds"), ("turtle", "turtles"), ("squirrel", "squirrels"),
           ("puppy", "puppies"), ("deer", "deer"), ("hen", "hens"), ("goat", "goats"), ("pony", "ponies"),
           ("hedgehog", "hedgehogs"), ("kitten", "kittens"), ("monkey", "monkeys"), ("lion", "lions"),
           ("elephant", "elephants")]
PET_NAMES = ["Bun", "Pip", "Coco", "Spot", "Fluffy", "Benny", "Milo", "Lulu", "Rosie", "Sunny", "Buddy",
             "Patch", "Whiskers", "Bubbles", "Nutmeg", "Pepper", "Ziggy", "Honey", "Button", "Tiny"]
TRAITS = ["kind", "brave", "shy", "curious", "happy", "clever", "gentle", "silly", "quiet", "friendly",
          "busy", "cheerful", "playful", "careful", "funny", "polite", "smart", "lively", "little", "sleepy"]
HOMES = ["in a small house near the woods", "in a big city with tall buildings", "on a quiet farm",
         "in a little house by the sea", "in a tiny village", "at the top of a green hill",
         "in a cozy house with a red door", "next to a busy market", "in a house with a big garden",
         "near a calm blue lake"]
ANIMAL_HOMES = ["in a hole under an old oak tree", "in a warm nest in a tall tree", "in a barn on a quiet farm",
                "in a cozy den in the forest", "by a little pond", "in a burrow under a green hill"]
# Where one is "at" a place rather than "in" or "on" it.
AT_PLACES = ["beach", "farm", "playground", "zoo", "library", "market", "river", "lake", "school"]
# (place, the place's spots where things hide, things one can see there)
PLACES = [
    ("park", ["under the slide", "behind the bench", "near the pond", "under a big tree"],
     ["children on the swings", "ducks in the pond", "a man selling ice cream"]),
    ("forest", ["behind a rock", "under a pile of leaves", "inside a hollow log", "next to a tall pine"],
     ["tall trees", "red mushrooms", "a deer drinking water"]),
    ("garden", ["under the roses", "behind the flower pots", "near the carrots", "by the fence"],
     ["bees on the flowers", "a fat worm", "bright tulips"]),
    ("beach", ["under the sand", "behind a big rock", "near the water", "next to an old boat"],
     ["white shells", "big waves", "a crab walking sideways"]),
    ("farm", ["in the hay", "behind the barn", "near the pig pen", "under the tractor"],
     ["cows eating grass", "hens and chicks", "a sleepy horse"]),
    ("playground", ["under the swings", "in the sandbox", "behind the slide", "near the gate"],
     ["kids playing tag", "a red seesaw", "a tall climbing frame"]),
    ("meadow", ["in the tall grass", "under a bush", "near the little stream", "by a big stone"],
     ["yellow flowers", "butterflies", "a rabbit hopping"]),
    ("zoo", ["near the gate", "under a bench", "by the lion cage", "next to the pond"],
     ["a tall giraffe", "monkeys swinging", "a big gray elephant"]),
    ("library", ["under a table", "behind a shelf", "on a big chair", "near the window"],
     ["rows of books", "a kind old librarian", "children reading quietly"]),
    ("market", ["under a cart", "behind a box of apples", "near the bread stand", "by the fountain"],
     ["piles of fruit", "fresh bread", "people laughing"]),
    ("river", ["under a bridge", "behind the reeds", "near a flat rock", "by the old mill"],
     ["fish jumping", "a little boat", "frogs on lily pads"]),
    ("hill", ["behind a bush", "under a flat stone", "near the top", "by the old fence"],
     ["the whole town", "clouds like sheep", "a windmill turning"]),
    ("school", ["under a desk", "in the toy box", "behind the door", "near the blackboard"],
     ["a smiling teacher", "colorful pictures", "a fish tank"]),
    ("lake", ["under the dock", "behind the reeds", "near a canoe", "by a willow tree"],
     ["swans gliding", "a fishing boat", "dragonflies"]),
]
COLORS = ["red", "blue", "yellow", "green", "purple", "pink", "orange", "white", "brown", "black",
          "shiny", "golden"]
OBJECTS = ["ball", "kite", "doll", "book", "hat", "toy boat", "drum", "teddy bear", "crayon", "bike",
           "balloon", "blanket", "cup", "shell", "key", "map", "lamp", "robot", "truck", "train", "scarf",
           "bucket", "spoon", "whistle", "jar", "box", "ribbon", "button", "sock", "bell", "car", "puzzle"]
FOODS = [("apple", "apples"), ("cookie", "cookies"), ("banana", "bananas"), ("cherry", "cherries"),
         ("grape", "grapes"), ("carrot", "carrots"), ("muffin", "muffins"), ("plum", "plums"),
         ("strawberry", "strawberries"), ("egg", "eggs"), ("candy", "candies"), ("pear", "pears"),
         ("orange", "oranges"), ("cupcake", "cupcakes"), ("nut", "nuts"), ("peach", "peaches")]
# (base form, past tense)
ACTIVITIES = [("play with blocks", "played with blocks"), ("draw pictures", "drew pictures"),
              ("sing songs", "sang songs"), ("dance", "danced"), ("run fast", "ran fast"),
              ("jump in puddles", "jumped in puddles"), ("climb trees", "climbed trees"),
              ("read books", "read books"), ("build sand castles", "built sand castles"),
              ("look at the stars", "looked at the stars"), ("fly a kite", "flew a kite"),
              ("play hide and seek", "played hide and seek"), ("swim", "swam"),
              ("pick flowers", "picked flowers"), ("help in the kitchen", "helped in the kitchen"),
              ("ride a bike", "rode a bike"), ("paint", "painted"), ("watch the clouds", "watched the clouds")]
FEEL_BAD = ["sad", "upset", "worried", "scared", "angry", "lonely", "grumpy", "confused"]
FEEL_GOOD = ["happy", "glad", "proud", "excited", "calm", "thankful", "joyful", "relieved"]
TIMES = ["One day", "One sunny morning", "One windy afternoon", "One cold evening", "On a warm day",
         "Early one morning", "One Saturday", "Later that week", "One rainy day", "After lunch"]
HELPERS = [("Mom", "she", "her"), ("Dad", "he", "him"), ("Grandma", "she", "her"), ("Grandpa", "he", "him"),
           ("the teacher", "she", "her"), ("a kind old man", "he", "him"), ("a wise old owl", "she", "her")]
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
                "eighteen", "nineteen", "twenty"]
SAID = ["said", "asked", "shouted", "whispered", "cried", "replied", "called", "laughed"]


def _num(rng: random.Random, n: int) -> str:
    """A number as a word (mostly) or as digits, so both forms appear: 3 -> "three" or "3"."""
    return str(n) if rng.random() < 0.25 else NUMBER_WORDS[n]


def _plural(n: int, one: str, many: str) -> str:
    """Pick the singular or plural noun for a count."""
    return one if n == 1 else many


def _a(word: str) -> str:
    """Indefinite article: "an apple", "a ball"."""
    return ("an " if word[0] in "aeiou" else "a ") + word


def _cap(s: str) -> str:
    """Capitalise the first letter only (keeps names and the rest as they are)."""
    return s[:1].upper() + s[1:]


def _character(rng: random.Random, exclude: str = "") -> dict:
    """A named child or animal with pronouns; never the name given in `exclude`."""
    while True:
        if rng.random() < 0.6:
            girl = rng.random() < 0.5
            name = rng.choice(GIRLS if girl else BOYS)
            kind = ("little girl" if girl else "little boy") if rng.random() < 0.7 else ("girl" if girl else "boy")
        else:
            girl = rng.random() < 0.5
            name = rng.choice(PET_NAMES)
            kind = rng.choice(ANIMALS)[0]
        if name != exclude:
            break
    he, him, his = ("she", "her", "her") if girl else ("he", "him", "his")
    return {"name": name, "kind": kind, "he": he, "him": him, "his": his, "He": _cap(he), "His": _cap(his)}


def _say(rng: random.Random, who: str, line: str, verb: str = "") -> str:
    """A line of dialogue in straight double quotes, speaker before or after."""
    verb = verb or rng.choice(SAID)
    end = line[-1]
    if rng.random() < 0.5 or end not in ".!?":
        return f'{_cap(who)} {verb}, "{line}"'
    inner = line[:-1] + "," if end == "." else line
    if who in ("he", "she"):  # "she said", not "said she"
        return f'"{inner}" {who} {verb}.'
    return f'"{inner}" {verb} {who}.'


class _Story:
    """Holds the cast and props of one story and renders its parts."""

    def __init__(self, rng: random.Random):
        self.r = rng
        self.h = _character(rng)
        self.f = _character(rng, exclude=self.h["name"])
        self.place, self.spots, self.sights = rng.choice(PLACES)
        self.color = rng.choice(COLORS)
        self.obj = rng.choice(OBJECTS)
        self.helper = rng.choice(HELPERS)
        self.moral = ""
        prep = "at" if self.place in AT_PLACES else "on" if self.place == "hill" else "in"
        self.at = f"{prep} the {self.place}"

    def home(self) -> str:
        """Where the hero lives: a house for children, a nest or den for animals."""
        child = self.h["kind"].endswith(("girl", "boy"))
        return self.r.choice(HOMES if child else ANIMAL_HOMES)

    def c(self, key: str, who: str = "h") -> str:
        """A field of the hero ("h") or the friend ("f")."""
        return (self.h if who == "h" else self.f)[key]

    def intro(self) -> list[str]:
        r, h = self.r, self.h
        trait = r.choice(TRAITS)
        first = r.choice([
            f"Once upon a time, there was {_a(trait)} {h['kind']} named {h['name']}.",
            f"There once was {_a(h['kind'])} called {h['name']}.",
            f"{h['name']} was {_a(trait)} {h['kind']} who lived {self.home()}.",
            f"Once there was {_a(trait)} {h['kind']}. {h['His']} name was {h['name']}.",
            f"In a land not far away, there lived {_a(h['kind'])} named {h['name']}.",
        ])
        out = [first]
        if "lived" not in first and r.random() < 0.7:
            out.append(f"{h['He']} lived {self.home()}.")
        if h["kind"].endswith(("girl", "boy")) and r.random() < 0.5:
            age = r.randrange(3, 9)
            out.append(f"{h['He']} was {_num(r, age)} years old.")
        act = r.choice(ACTIVITIES)[0]
        out.append(r.choice([
            f"{h['He']} loved to {act}.",
            f"More than anything, {h['he']} liked to {act}.",
            f"Every day, {h['he']} wanted to {act}.",
        ]))
        out.append(r.choice([
            f"{h['His']} favorite toy was {_a(self.color)} {self.obj}.",
            f"{h['He']} had {_a(self.color)} {self.obj} that {h['he']} took everywhere.",
            f"{h['He']} also had {_a(self.color)} {self.obj}, and {h['he']} loved it very much.",
        ]))
        return out

    def meet_friend(self) -> list[str]:
        r, f, h = self.r, self.f, self.h
        return [r.choice([
            f"{h['His']} best friend was {_a(f['kind'])} named {f['name']}.",
            f"{h['name']} had a friend, {_a(f['kind'])} called {f['name']}.",
            f"Next door lived {_a(f['kind'])} named {f['name']}, who was {h['his']} best friend.",
        ])]

    # ---- episodes -------------------------------------------------------------------------------
    def lost(self) -> list[str]:
        r, h, f = self.r, self.h, self.f
        spot = r.choice(self.spots)
        wrong = r.choice([s for s in self.spots if s != spot])
        bad = r.choice(FEEL_BAD[:3])
        self.moral = r.choice([f"{h['name']} learned to take good care of {h['his']} things.",
                               "Friends make every problem smaller."])
        return [
            f"{r.choice(TIMES)}, {h['name']} took {h['his']} {self.obj} to the {self.place}.",
            f"{h['He']} played for a long time and saw {r.choice(self.sights)}.",
            f"When it was time to go home, {h['he']} could not find {h['his']} {self.obj}!",
            f"{h['name']} felt very {bad}.",
            _say(r, h["he"], f"Where is my {self.obj}?", "cried"),
            f"Just then, {f['name']} came by.",
            _say(r, f["name"], f"Why are you {bad}, {h['name']}?", "asked"),
            _say(r, h["name"], f"I lost my {self.color} {self.obj}.", "said"),
            _say(r, f["name"], "Don't worry. I will help you look for it.", "said"),
            f"They looked {wrong}, but it was not there.",
            f"Then they looked {spot}. There it was!",
            f"{h['name']} hugged {h['his']} {self.obj} and smiled.",
            _say(r, h["name"], f"Thank you, {f['name']}! You are a good friend.", "said"),
        ]

    def broken(self) -> list[str]:
        r, h = self.r, self.h
        name, he, she, her = self.helper[0], self.helper[0], self.helper[1], self.helper[2]
        fix = r.choice(["some glue", "a piece of tape", "a needle and thread", "a tiny screw", "a new string"])
        self.moral = r.choice(["When something breaks, it is good to ask for help.",
                               f"{h['name']} learned that being careful is important."])
        return [
            f"{r.choice(TIMES)}, {h['name']} was playing with {h['his']} {self.obj} too roughly.",
            f"Crack! The {self.obj} broke into {_num(r, r.randrange(2, 5))} pieces.",
            f"{h['name']} was so {r.choice(['sad', 'upset'])} that {h['he']} began to cry.",
            f"{_cap(name)} heard the noise and came to see.",
            _say(r, he, f"What happened, {h['name']}?", "asked"),
            _say(r, h["name"], f"My {self.obj} is broken. I was not careful.", "said"),
            f"{_cap(she)} looked at it and said, \"We can fix it with {fix}.\"",
            f"So {name} fixed the {self.obj} with {fix}, and {h['name']} watched closely.",
            f"Soon the {self.obj} was as good as new.",
            f"{h['name']} felt {r.choice(FEEL_GOOD)} and gave {her} a big hug.",
        ]

    def share(self) -> list[str]:
        r, h, f = self.r, self.h, self.f
        self.moral = r.choice(["Sharing makes playing more fun.",
                               f"From then on, {h['name']} always shared {h['his']} toys."])
        return [
            f"{r.choice(TIMES)}, {f['name']} came to play {self.at}.",
            f"{f['name']} saw the {self.color} {self.obj} and wanted to play with it too.",
            _say(r, f["name"], f"Can I play with your {self.obj}, please?", "asked"),
            _say(r, h["name"], f"No, it is mine!", "said"),
            f"{f['name']} felt {r.choice(['sad', 'lonely'])} and sat down alone.",
            f"{h['name']} played by {h['him']}self, but it was not much fun.",
            f"{h['He']} looked at {f['name']} and thought about how {f['he']} felt.",
            f"Then {h['name']} walked over and said, \"I am sorry. Let's play together.\"",
            f"Because they shared, they both had a lot of fun.",
            f"They laughed and played until the sun went down.",
        ]

    def rain(self) -> list[str]:
        r, h, f = self.r, self.h, self.f
        act = r.choice(["jumped in puddles", "played tag", "flew a kite", "picked flowers", "ran and laughed"])
        inside = r.choice([("built a fort with pillows", "pillows"), ("baked cookies", "cookies"),
                           ("drew a big picture of the sun", "picture"), ("played a board game", "game"),
                           ("made a puppet show", "puppets")])
        self.moral = r.choice(["Even a rainy day can be a happy day.",
                               "There is always something fun to do if you look for it."])
        return [
            f"{h['name']} and {f['name']} wanted to go to the {self.place}.",
            "But when they looked outside, dark clouds filled the sky and it began to rain.",
            f"Because it was raining, they could not go out.",
            _say(r, h["name"], "Now we can't have any fun.", "said"),
            f"{h['name']} felt {r.choice(['sad', 'grumpy'])}.",
            _say(r, f["name"], "We can still have fun inside!", "said"),
            f"So they {inside[0]}.",
            "It was so much fun that they forgot about the rain.",
            f"Later, the rain stopped and a rainbow came out, so they ran to the {self.place} and {act}.",
        ]

    def fear(self) -> list[str]:
        r, h = self.r, self.h
        thing, calm = r.choice([
            ("the dark", "left a little lamp on"), ("the loud thunder", "counted the seconds after each flash"),
            ("the big dog next door", "showed how the dog just wanted to play"),
            ("the deep water", "held hands and went in slowly"), ("the tall slide", "went down first to show it was safe"),
            ("the noise in the attic", "went up and found a little mouse"),
        ])
        name, he = self.helper[0], self.helper[1]
        self.moral = r.choice([f"{h['name']} learned that being brave does not mean not being scared.",
                               "It helps to talk about what scares you."])
        return [
            f"{h['name']} was scared of {thing}.",
            f"{r.choice(TIMES)}, {h['he']} felt so scared that {h['his']} hands were shaking.",
            _say(r, h["name"], f"I don't like {thing}.", "whispered"),
            f"{_cap(name)} sat down next to {h['him']}.",
            _say(r, he, "It is okay to be scared. Let's be brave together.", "said"),
            f"So {name} {calm}.",
            f"Little by little, {h['name']} felt {r.choice(['calm', 'brave', 'safe'])}.",
            f"After that, {h['he']} was not so scared of {thing} anymore.",
        ]

    def rescue(self) -> list[str]:
        r, h = self.r, self.h
        kind, plural = r.choice(ANIMALS)
        trouble, fix, after = r.choice([
            ("stuck in a deep hole", "reached down and lifted it out gently", "it licked {name}'s hand"),
            ("with a hurt wing", "made it a soft bed and gave it water", "it could fly again"),
            ("lost and looking for its mother", "helped it find its family", "it ran back home"),
            ("caught in a fence", "gently set it free", "it jumped for joy"),
            ("very hungry and cold", "gave it some food and a warm blanket", "it fell asleep"),
        ])
        self.moral = r.choice(["Helping others makes your heart warm.", "It is good to be kind to animals."])
        return [
            f"{r.choice(TIMES)}, {h['name']} was walking {self.at}.",
            f"{h['He']} heard a small sound {r.choice(self.spots)}.",
            f"It was a little {kind} {trouble}.",
            _say(r, h["name"], f"Oh no, poor little {kind}! I will help you.", "said"),
            f"{h['name']} {fix}.",
            f"Soon, {after.format(name=h['name'])}.",
            f"{h['name']} felt {r.choice(['proud', 'happy', 'warm inside'])} because {h['he']} had helped.",
        ]

    def count(self) -> list[str]:
        r, h, f = self.r, self.h, self.f
        one, many = r.choice(FOODS)
        n = r.randrange(3, 11)
        k = r.randrange(1, n)
        m = r.randrange(1, 6)
        self.moral = r.choice(["Sharing food with friends makes it taste even better.",
                               "Counting is fun when you do it with friends."])
        return [
            f"{r.choice(TIMES)}, {self.helper[0]} gave {h['name']} {_num(r, n)} {_plural(n, one, many)}.",
            f"{h['name']} counted them: {', '.join(NUMBER_WORDS[i] for i in range(1, n + 1))}.",
            f"{h['He']} gave {_num(r, k)} {_plural(k, one, many)} to {f['name']}, "
            f"so {h['he']} had {_num(r, n - k)} {_plural(n - k, one, many)} left.",
            _say(r, f["name"], f"Thank you! Now I have {_num(r, k)} too.", "said"),
            f"Then they found {_num(r, m)} more {_plural(m, one, many)} {r.choice(self.spots)}.",
            f"Now {h['name']} had {_num(r, n - k + m)} {_plural(n - k + m, one, many)}.",
            f"They ate them all and felt full and {r.choice(FEEL_GOOD)}.",
        ]

    def race(self) -> list[str]:
        r, h, f = self.r, self.h, self.f
        goal = r.choice(["the big tree", "the red gate", "the top of the hill", "the old well", "the pond"])
        self.moral = r.choice(["Helping a friend is better than winning.", "Kindness is the best prize."])
        return [
            f"{r.choice(TIMES)}, {h['name']} and {f['name']} were {self.at}.",
            _say(r, f["name"], f"Let's race to {goal}!", "shouted"),
            f"They counted to {_num(r, 3)} and ran as fast as they could.",
            f"{h['name']} was winning, but then {h['he']} heard a cry.",
            f"{f['name']} had tripped on a stone and hurt {f['his']} knee.",
            f"{h['name']} stopped running and went back to help {f['him']}.",
            _say(r, h["name"], "Are you okay? Let me help you up.", "asked"),
            f"They walked to {goal} together, side by side.",
            _say(r, f["name"], "Thank you for coming back. You are a true friend.", "said"),
        ]

    def bake(self) -> list[str]:
        r, h = self.r, self.h
        cake = r.choice(["a cake", "some cookies", "a pie", "some bread", "a big pancake"])
        cups = r.randrange(2, 5)
        eggs = r.randrange(1, 4)
        self.moral = r.choice(["Good things take time.", "Cooking with people you love is the best."])
        return [
            f"{r.choice(TIMES)}, {h['name']} wanted to make {cake} with {self.helper[0]}.",
            f"They put {_num(r, cups)} cups of flour, {_num(r, eggs)} {_plural(eggs, 'egg', 'eggs')} "
            f"and some sugar in a big bowl.",
            f"{h['name']} mixed and mixed until {h['his']} arm was tired.",
            f"Then they put it in the oven and waited.",
            _say(r, h["name"], "Is it ready yet?", "asked"),
            _say(r, self.helper[1], "Not yet. We have to be patient.", "said"),
            f"After a while, the kitchen smelled sweet and warm.",
            f"When it was ready, {h['name']} shared it with {self.f['name']}, and everyone was {r.choice(FEEL_GOOD)}.",
        ]

    def trip(self) -> list[str]:
        r, h, f = self.r, self.h, self.f
        a, b = self.sights[0], self.sights[1 + r.randrange(2)]
        self.moral = r.choice(["The world is full of wonderful things to see.",
                               f"{h['name']} could not wait to go back."])
        return [
            f"{r.choice(TIMES)}, {self.helper[0]} took {h['name']} and {f['name']} to the {self.place}.",
            f"{_cap(self.at)}, they saw {a} and {b}.",
            _say(r, h["name"], f"Look at that! It is so {r.choice(['big', 'pretty', 'funny', 'amazing'])}!", "shouted"),
            f"{f['name']} laughed and pointed at {r.choice(self.sights)}.",
            f"They stayed until the sky turned {r.choice(['orange', 'pink', 'dark blue'])}.",
            f"On the way home, {h['name']} was so tired that {h['he']} fell asleep.",
        ]

    def plant(self) -> list[str]:
        r, h = self.r, self.h
        n = r.randrange(2, 9)
        days = r.randrange(3, 11)
        plant = r.choice(["sunflowers", "tulips", "roses", "daisies", "tomatoes", "beans", "pumpkins", "carrots"])
        self.moral = r.choice(["Patience helps things grow.", "Good things come to those who wait."])
        return [
            f"{r.choice(TIMES)}, {self.helper[0]} gave {h['name']} {_num(r, n)} little seeds.",
            f"{h['He']} planted them in a row and gave them water every day.",
            f"At first, nothing happened, and {h['name']} felt {r.choice(['impatient', 'worried', 'sad'])}.",
            _say(r, h["name"], "Why are my seeds not growing?", "asked"),
            _say(r, self.helper[1], "Plants need sun, water and time.", "said"),
            f"So {h['name']} kept watering them.",
            f"After {_num(r, days)} days, {_num(r, n)} tiny green {_plural(n, 'shoot', 'shoots')} came up!",
            f"Because {h['he']} had been patient, the seeds grew into tall {plant}.",
            f"{h['name']} showed them to {self.f['name']}, and they both felt {r.choice(FEEL_GOOD)}.",
        ]

    def birthday(self) -> list[str]:
        r, h, f = self.r, self.h, self.f
        age = r.randrange(4, 10)
        gift = r.choice(["a card with a big heart on it", "a picture of the two of them",
                         "a necklace made of shells", "a little box of cookies", "a song"])
        self.moral = r.choice(["A gift made with love is the best gift.", "It feels good to make a friend happy."])
        return [
            f"Soon it was {f['name']}'s birthday, and {f['he']} was turning {_num(r, age)}.",
            f"{h['name']} wanted to give {f['him']} a present, but {h['he']} had no money.",
            f"{h['He']} thought and thought. Then {h['he']} had an idea!",
            f"{h['He']} made {gift} all by {h['him']}self.",
            f"At the party, there were {_num(r, age)} candles on the cake, and {f['name']} blew them all out at once.",
            f"{h['name']} gave {f['name']} the present.",
            _say(r, f["name"], "I love it! This is the best present ever!", "shouted"),
            f"{h['name']} felt warm and {r.choice(FEEL_GOOD)} inside.",
        ]

    def ending(self) -> list[str]:
        r, h = self.r, self.h
        out = [r.choice([
            f"That night, {h['name']} went to bed with a big smile.",
            f"From that day on, {h['name']} and {self.f['name']} were the best of friends.",
            f"It was a very good day for {h['name']}.",
            f"{h['name']} never forgot that day.",
            "And they all lived happily ever after.",
        ])]
        if self.moral and r.random() < 0.8:
            out.append(self.moral)
        return out


def story(rng: random.Random) -> str:
    """One English story (a few paragraphs, no trailing newline)."""
    return compose(_Story(rng), rng, " ")
