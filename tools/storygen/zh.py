"""Chinese half of the embedded corpus: a seeded story grammar in simple 简体中文.

Same cast and episode design as `tools.storygen.en` (a hero, a friend, a favourite object; lost and broken
toys, sharing, rain, fear, animals in trouble, counting with correct sums, races, baking, trips), but
written directly in Chinese, not translated: measure words (一只风筝、两本书), 两 before a measure word,
full-width punctuation and “” quotes. Written by this project, so license-clean.

Deliberate simplifications: hand-written templates with many variants; pronouns 他/她 for children and
它 for animals. Determinism: only ``rng.choice``, ``rng.randrange`` and ``rng.random`` on lists.
"""
from __future__ import annotations

import random

from .plot import compose

__all__ = ["story"]

GIRLS = ["小红", "小兰", "小美", "小雨", "朵朵", "甜甜", "悠悠", "安安", "贝贝", "果果", "莉莉", "婷婷",
         "月月", "芳芳", "丽丽", "欢欢", "娜娜", "静静", "小雪", "思思"]
BOYS = ["小明", "小华", "小军", "乐乐", "豆豆", "明明", "亮亮", "阳阳", "丁丁", "东东", "强强", "浩浩",
        "天天", "壮壮", "小刚", "小龙", "小宇", "文文", "多多", "聪聪"]
# (animal, measure word)
ANIMALS = [("小兔子", "只"), ("小狗", "只"), ("小猫", "只"), ("小熊", "只"), ("小狐狸", "只"),
           ("小鸭子", "只"), ("小老鼠", "只"), ("猫头鹰", "只"), ("小青蛙", "只"), ("小猪", "头"),
           ("小羊", "只"), ("小鸟", "只"), ("小乌龟", "只"), ("小松鼠", "只"), ("小鹿", "只"),
           ("小鸡", "只"), ("小马", "匹"), ("小刺猬", "只"), ("小猴子", "只"), ("小象", "头")]
PET_NAMES = ["白白", "球球", "毛毛", "花花", "点点", "咚咚", "跳跳", "圆圆", "灰灰", "胖胖", "皮皮",
             "嘟嘟", "团团", "蹦蹦", "妞妞", "咪咪"]
TRAITS = ["善良", "勇敢", "害羞", "好奇", "快乐", "聪明", "温柔", "调皮", "安静", "友好", "勤劳",
          "开朗", "爱笑", "细心", "有趣", "懂礼貌", "活泼", "爱睡觉"]
HOMES = ["住在树林边的一座小房子里", "住在一座有很多高楼的大城市里", "住在一个安静的农场上",
         "住在海边的一间小屋里", "住在一个小村子里", "住在绿色的小山坡上", "住在一座红色大门的房子里",
         "住在热闹的集市旁边", "住在一个有大花园的房子里", "住在蓝色的湖边"]
ANIMAL_HOMES = ["住在老橡树下的一个洞里", "住在大树上一个暖和的窝里", "住在农场的谷仓里",
                "住在森林深处的一个小窝里", "住在小池塘边", "住在山坡下的地洞里"]
# (place, where one is when there, spots where things hide, things one can see there)
PLACES = [
    ("公园", "公园里", ["滑梯下面", "长椅后面", "池塘边", "大树底下"], ["荡秋千的小朋友", "池塘里的鸭子", "卖冰淇淋的叔叔"]),
    ("森林", "森林里", ["大石头后面", "落叶堆下面", "空树洞里", "高高的松树旁边"], ["高大的树", "红色的蘑菇", "喝水的小鹿"]),
    ("花园", "花园里", ["玫瑰花下面", "花盆后面", "胡萝卜地旁边", "篱笆边"], ["花上的蜜蜂", "胖胖的虫子", "鲜艳的郁金香"]),
    ("海边", "海边", ["沙子下面", "大礁石后面", "海水旁边", "旧船旁边"], ["白色的贝壳", "大大的海浪", "横着走的螃蟹"]),
    ("农场", "农场上", ["干草堆里", "谷仓后面", "猪圈旁边", "拖拉机下面"], ["吃草的奶牛", "母鸡和小鸡", "打瞌睡的马"]),
    ("游乐场", "游乐场上", ["秋千下面", "沙坑里", "滑梯后面", "大门旁边"], ["玩捉人游戏的孩子", "红色的跷跷板", "高高的攀爬架"]),
    ("草地", "草地上", ["高高的草丛里", "灌木下面", "小溪边", "大石头旁边"], ["黄色的小花", "飞舞的蝴蝶", "蹦蹦跳跳的兔子"]),
    ("动物园", "动物园里", ["大门旁边", "长椅下面", "狮子笼旁边", "水池边"], ["高高的长颈鹿", "荡来荡去的猴子", "灰色的大象"]),
    ("图书馆", "图书馆里", ["桌子底下", "书架后面", "大椅子上", "窗户旁边"], ["一排排的书", "和蔼的图书管理员", "安静看书的孩子"]),
    ("集市", "集市上", ["推车下面", "苹果箱后面", "面包摊旁边", "喷泉边"], ["堆成小山的水果", "新鲜的面包", "说说笑笑的人们"]),
    ("小河边", "小河边", ["小桥下面", "芦苇后面", "平平的石头旁边", "老磨坊边"], ["跳出水面的鱼", "一条小船", "荷叶上的青蛙"]),
    ("山坡", "山坡上", ["灌木后面", "扁扁的石头下面", "山顶附近", "旧篱笆边"], ["整个小镇", "像绵羊一样的白云", "转动的风车"]),
    ("学校", "学校里", ["课桌下面", "玩具箱里", "门后面", "黑板旁边"], ["微笑的老师", "五颜六色的画", "一个鱼缸"]),
    ("湖边", "湖边", ["码头下面", "芦苇后面", "小木船旁边", "柳树下"], ["游来游去的天鹅", "一条渔船", "飞来飞去的蜻蜓"]),
]
COLORS = ["红色", "蓝色", "黄色", "绿色", "紫色", "粉色", "橙色", "白色", "棕色", "黑色", "亮晶晶", "金色"]
# (object, measure word)
OBJECTS = [("球", "个"), ("风筝", "只"), ("娃娃", "个"), ("书", "本"), ("帽子", "顶"), ("小船", "只"),
           ("鼓", "面"), ("玩具熊", "只"), ("蜡笔", "支"), ("自行车", "辆"), ("气球", "个"), ("毯子", "条"),
           ("杯子", "个"), ("贝壳", "个"), ("钥匙", "把"), ("地图", "张"), ("台灯", "盏"), ("机器人", "个"),
           ("小卡车", "辆"), ("小火车", "列"), ("围巾", "条"), ("小桶", "个"), ("勺子", "把"), ("哨子", "个"),
           ("罐子", "个"), ("盒子", "个"), ("丝带", "条"), ("铃铛", "个"), ("小汽车", "辆"), ("拼图", "盒")]
FOODS = [("苹果", "个"), ("饼干", "块"), ("香蕉", "根"), ("樱桃", "颗"), ("葡萄", "颗"), ("胡萝卜", "根"),
         ("松饼", "个"), ("李子", "个"), ("草莓", "颗"), ("鸡蛋", "个"), ("糖果", "颗"), ("梨", "个"),
         ("橘子", "个"), ("小蛋糕", "块"), ("坚果", "颗"), ("桃子", "个"), ("包子", "个"), ("饺子", "个")]
ACTIVITIES = ["搭积木", "画画", "唱歌", "跳舞", "跑步", "踩水坑", "爬树", "看书", "堆沙堡", "看星星",
              "放风筝", "玩捉迷藏", "游泳", "摘花", "在厨房帮忙", "骑自行车", "涂颜色", "看天上的白云"]
FEEL_BAD = ["难过", "伤心", "着急", "害怕", "生气", "孤单", "不高兴", "担心"]
FEEL_GOOD = ["开心", "高兴", "骄傲", "兴奋", "平静", "感激", "快乐", "放心"]
TIMES = ["有一天", "一个晴朗的早上", "一个刮风的下午", "一个寒冷的傍晚", "一个暖和的日子", "一天清早",
         "一个星期六", "过了几天", "一个下雨天", "吃过午饭以后"]
HELPERS = [("妈妈", "她"), ("爸爸", "他"), ("奶奶", "她"), ("爷爷", "他"), ("老师", "她"),
           ("一位和蔼的老爷爷", "他"), ("一只聪明的老猫头鹰", "它")]
DIGITS = "零一二三四五六七八九"
SAID = ["说", "问", "大声喊", "小声说", "哭着说", "回答", "叫道", "笑着说"]


def number(n: int) -> str:
    """Chinese numeral for 0..99: 12 -> "十二", 20 -> "二十"."""
    if n < 10:
        return DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")


def _count(rng: random.Random, n: int, measure: str) -> str:
    """A count with its measure word: 2 -> "两个", 3 -> "三个" (or "3个" sometimes)."""
    if rng.random() < 0.2:
        return f"{n}{measure}"
    return ("两" if n == 2 else number(n)) + measure


def _character(rng: random.Random, exclude: str = "") -> dict:
    """A named child (他/她) or animal (它); never the name given in `exclude`."""
    while True:
        if rng.random() < 0.6:
            girl = rng.random() < 0.5
            name = rng.choice(GIRLS if girl else BOYS)
            kind = "小女孩" if girl else "小男孩"
            he, measure = ("她" if girl else "他"), "个"
        else:
            name = rng.choice(PET_NAMES)
            kind, measure = rng.choice(ANIMALS)
            he = "它"
        if name != exclude:
            return {"name": name, "kind": kind, "he": he, "m": measure}


def _say(rng: random.Random, who: str, line: str, verb: str = "") -> str:
    """A line of dialogue in “” quotes, speaker before (小明说：“…”) or after (“…”小明说。)."""
    verb = verb or rng.choice(SAID)
    if rng.random() < 0.5:
        return f"{who}{verb}：“{line}”"
    return f"“{line}”{who}{verb}。"


class _Story:
    """Holds the cast and props of one story and renders its parts."""

    def __init__(self, rng: random.Random):
        self.r = rng
        self.h = _character(rng)
        self.f = _character(rng, exclude=self.h["name"])
        self.place, self.at, self.spots, self.sights = rng.choice(PLACES)
        self.color = rng.choice(COLORS)
        self.obj, self.om = rng.choice(OBJECTS)
        self.helper = rng.choice(HELPERS)
        self.moral = ""

    def intro(self) -> list[str]:
        r, h = self.r, self.h
        trait = r.choice(TRAITS)
        a = f"一{h['m']}"
        home = r.choice(ANIMAL_HOMES if h["he"] == "它" else HOMES)
        out = [r.choice([
            f"从前，有{a}{trait}的{h['kind']}，名叫{h['name']}。",
            f"很久很久以前，有{a}{h['kind']}叫{h['name']}。",
            f"{h['name']}是{a}{trait}的{h['kind']}，{home}。",
            f"在不远的地方，有{a}{h['kind']}，大家都叫{h['he']}{h['name']}。",
        ])]
        if "住在" not in out[0] and r.random() < 0.7:
            out.append(f"{h['he']}{home}。")
        if h["he"] != "它" and r.random() < 0.5:
            out.append(f"{h['he']}今年{number(r.randrange(3, 9))}岁了。")
        act = r.choice(ACTIVITIES)
        out.append(r.choice([f"{h['he']}最喜欢{act}。", f"{h['he']}每天都想{act}。",
                             f"比起别的事情，{h['he']}更喜欢{act}。"]))
        thing = f"一{self.om}{self.color}的{self.obj}"
        out.append(r.choice([f"{h['he']}最心爱的玩具是{thing}。",
                             f"{h['he']}有{thing}，走到哪里都带着它。",
                             f"{h['he']}还有{thing}，{h['he']}非常喜欢它。"]))
        return out

    def meet_friend(self) -> list[str]:
        r, h, f = self.r, self.h, self.f
        return [r.choice([
            f"{h['he']}最好的朋友是{'一' + f['m']}{f['kind']}，名叫{f['name']}。",
            f"{h['name']}有一个好朋友，是{'一' + f['m']}{f['kind']}，叫{f['name']}。",
            f"隔壁住着{'一' + f['m']}{f['kind']}{f['name']}，{f['he']}是{h['name']}最好的朋友。",
        ])]

    # ---- episodes -------------------------------------------------------------------------------
    def lost(self) -> list[str]:
        r, h, f = self.r, self.h, self.f
        spot = r.choice(self.spots)
        wrong = r.choice([s for s in self.spots if s != spot])
        bad = r.choice(FEEL_BAD[:3])
        self.moral = r.choice([f"{h['name']}明白了要好好爱护自己的东西。", "有朋友帮忙，再大的困难也会变小。"])
        return [
            f"{r.choice(TIMES)}，{h['name']}带着{h['he']}的{self.obj}去{self.place}玩。",
            f"{h['he']}玩了很久，还看到了{r.choice(self.sights)}。",
            f"到了该回家的时候，{h['he']}却找不到{h['he']}的{self.obj}了！",
            f"{h['name']}非常{bad}。",
            _say(r, h["he"], f"我的{self.obj}在哪里呀？", "哭着说"),
            f"就在这时，{f['name']}走了过来。",
            _say(r, f["name"], f"{h['name']}，你为什么这么{bad}？", "问"),
            _say(r, h["name"], f"我的{self.color}{self.obj}不见了。", "说"),
            _say(r, f["name"], "别担心，我来帮你一起找。", "说"),
            f"他们先在{wrong}找了找，可是那里没有。",
            f"然后他们又去{spot}找。找到了！",
            f"{h['name']}紧紧抱住{h['he']}的{self.obj}，笑了起来。",
            _say(r, h["name"], f"谢谢你，{f['name']}！你真是我的好朋友。", "说"),
        ]

    def broken(self) -> list[str]:
        r, h = self.r, self.h
        name, she = self.helper
        fix = r.choice(["胶水", "胶带", "针线", "一颗小螺丝", "一根新绳子"])
        self.moral = r.choice(["东西坏了的时候，可以请别人帮忙。", f"{h['name']}懂得了做事要小心。"])
        return [
            f"{r.choice(TIMES)}，{h['name']}玩{self.obj}的时候太用力了。",
            f"咔嚓！{self.obj}摔成了{_count(r, r.randrange(2, 5), '块')}。",
            f"{h['name']}{r.choice(['难过', '伤心'])}得哭了起来。",
            f"{name}听到声音，走过来看看。",
            _say(r, she, f"{h['name']}，发生什么事了？", "问"),
            _say(r, h["name"], f"我的{self.obj}坏了。都怪我不小心。", "说"),
            f"{she}看了看，说：“我们可以用{fix}把它修好。”",
            f"于是{name}用{fix}修{self.obj}，{h['name']}在旁边认真地看着。",
            f"很快，{self.obj}就和新的一样了。",
            f"{h['name']}觉得很{r.choice(FEEL_GOOD)}，紧紧地抱住了{she}。",
        ]

    def share(self) -> list[str]:
        r, h, f = self.r, self.h, self.f
        self.moral = r.choice(["一起分享，玩起来更开心。", f"从那以后，{h['name']}总是和朋友分享玩具。"])
        return [
            f"{r.choice(TIMES)}，{f['name']}来到{self.at}玩。",
            f"{f['name']}看到了那{self.om}{self.color}的{self.obj}，也很想玩。",
            _say(r, f["name"], f"我可以玩一下你的{self.obj}吗？", "问"),
            _say(r, h["name"], "不行，这是我的！", "说"),
            f"{f['name']}觉得很{r.choice(['难过', '孤单'])}，一个人坐在旁边。",
            f"{h['name']}自己玩了一会儿，可是一点也不好玩。",
            f"{h['he']}看着{f['name']}，想了想{f['he']}心里的感受。",
            f"于是{h['name']}走过去说：“对不起，我们一起玩吧。”",
            "因为他们一起分享，所以两个人都玩得很开心。",
            "他们一直笑着玩到太阳下山。",
        ]

    def rain(self) -> list[str]:
        r, h, f = self.r, self.h, self.f
        inside = r.choice(["用枕头搭了一座城堡", "烤了一盘饼干", "画了一个大大的太阳",
                           "玩了一盘棋", "演了一场木偶戏"])
        self.moral = r.choice(["下雨天也可以是快乐的一天。", "只要用心去找，总能找到好玩的事情。"])
        return [
            f"{h['name']}和{f['name']}想去{self.place}玩。",
            "可是他们往窗外一看，天上全是乌云，接着就下起了雨。",
            "因为下雨了，所以他们不能出去。",
            _say(r, h["name"], "这下一点都不好玩了。", "说"),
            f"{h['name']}觉得很{r.choice(['难过', '不高兴'])}。",
            _say(r, f["name"], "我们在家里也可以玩得很开心呀！", "说"),
            f"于是他们{inside}。",
            "他们玩得太开心了，都忘了外面在下雨。",
            f"后来，雨停了，天上出现了一道彩虹，他们就跑到{self.place}去{r.choice(['踩水坑', '玩捉人游戏', '放风筝', '摘花', '跑步'])}。",
        ]

    def fear(self) -> list[str]:
        r, h = self.r, self.h
        thing, calm = r.choice([
            ("黑夜", "留了一盏小灯"), ("打雷", "陪着数闪电后的秒数"), ("隔壁的大狗", "告诉他大狗只是想玩"),
            ("深深的水", "拉着手慢慢地走进水里"), ("高高的滑梯", "先滑下去，让大家看看很安全"),
            ("阁楼里的声音", "爬上去看，原来是一只小老鼠"),
        ])
        name, she = self.helper
        self.moral = r.choice([f"{h['name']}明白了，勇敢不是不害怕，而是害怕了也敢去面对。",
                               "害怕的时候，说出来会好很多。"])
        return [
            f"{h['name']}很怕{thing}。",
            f"{r.choice(TIMES)}，{h['he']}害怕得手都在发抖。",
            _say(r, h["name"], f"我不喜欢{thing}。", "小声说"),
            f"{name}在{h['he']}身边坐了下来。",
            _say(r, she, "害怕是很正常的。我们一起勇敢一点吧。", "说"),
            f"于是{name}{calm}。",
            f"慢慢地，{h['name']}觉得{r.choice(['平静', '勇敢', '安心'])}多了。",
            f"从那以后，{h['he']}就没那么怕{thing}了。",
        ]

    def rescue(self) -> list[str]:
        r, h = self.r, self.h
        kind, m = r.choice(ANIMALS)
        trouble, fix, after = r.choice([
            ("掉进了一个深深的坑里", "伸手把它轻轻地抱了出来", "它高兴地舔了舔{name}的手"),
            ("翅膀受了伤", "给它铺了一张软软的小床，还喂它喝水", "它又能飞了"),
            ("迷路了，正在找妈妈", "帮它找到了家人", "它蹦蹦跳跳地回家了"),
            ("被篱笆卡住了", "轻轻地把它放了出来", "它开心地跳了起来"),
            ("又饿又冷", "给了它一些吃的和一条暖和的毯子", "它舒舒服服地睡着了"),
        ])
        self.moral = r.choice(["帮助别人，心里会暖暖的。", "我们要善待小动物。"])
        return [
            f"{r.choice(TIMES)}，{h['name']}在{self.at}散步。",
            f"{h['he']}听到{r.choice(self.spots)}传来一个小小的声音。",
            f"原来是一{m}{kind}{trouble}。",
            _say(r, h["name"], f"哎呀，可怜的{kind}！我来帮你。", "说"),
            f"{h['name']}{fix}。",
            f"没过多久，{after.format(name=h['name'])}。",
            f"{h['name']}觉得很{r.choice(['骄傲', '开心', '温暖'])}，因为{h['he']}帮助了别人。",
        ]

    def count(self) -> list[str]:
        r, h, f = self.r, self.h, self.f
        food, m = r.choice(FOODS)
        n = r.randrange(3, 11)
        k = r.randrange(1, n)
        extra = r.randrange(1, 6)
        self.moral = r.choice(["和朋友分享食物，吃起来更香。", "和朋友一起数数真有趣。"])
        return [
            f"{r.choice(TIMES)}，{self.helper[0]}给了{h['name']}{_count(r, n, m)}{food}。",
            f"{h['name']}数了数：{'、'.join(number(i) for i in range(1, n + 1))}。",
            f"{h['he']}分给{f['name']}{_count(r, k, m)}，所以自己还剩{_count(r, n - k, m)}。",
            _say(r, f["name"], f"谢谢你！现在我也有{_count(r, k, m)}{food}了。", "说"),
            f"后来，他们又在{r.choice(self.spots)}找到了{_count(r, extra, m)}{food}。",
            f"现在{h['name']}一共有{_count(r, n - k + extra, m)}{food}了。",
            f"他们把{food}都吃光了，肚子饱饱的，心里也很{r.choice(FEEL_GOOD)}。",
        ]

    def race(self) -> list[str]:
        r, h, f = self.r, self.h, self.f
        goal = r.choice(["那棵大树", "红色的大门", "山顶", "老水井", "池塘边"])
        self.moral = r.choice(["帮助朋友比赢得比赛更重要。", "善良是最好的奖品。"])
        return [
            f"{r.choice(TIMES)}，{h['name']}和{f['name']}在{self.at}玩。",
            _say(r, f["name"], f"我们来比赛，看谁先跑到{goal}！", "大声喊"),
            f"他们数到{number(3)}，就拼命地往前跑。",
            f"{h['name']}跑在前面，可是突然听到了哭声。",
            f"原来{f['name']}被石头绊倒了，摔伤了膝盖。",
            f"{h['name']}马上停下来，跑回去帮{f['he']}。",
            _say(r, h["name"], "你还好吗？我扶你起来。", "问"),
            f"他们手拉着手，一起走到了{goal}。",
            _say(r, f["name"], "谢谢你回来帮我，你真是我的好朋友。", "说"),
        ]

    def bake(self) -> list[str]:
        r, h = self.r, self.h
        cake = r.choice(["一个蛋糕", "一些饼干", "一个苹果派", "一些面包", "一张大煎饼"])
        cups = r.randrange(2, 5)
        eggs = r.randrange(1, 4)
        self.moral = r.choice(["好东西需要耐心等待。", "和爱的人一起做饭是最幸福的事。"])
        return [
            f"{r.choice(TIMES)}，{h['name']}想和{self.helper[0]}一起做{cake}。",
            f"他们把{_count(r, cups, '杯')}面粉、{_count(r, eggs, '个')}鸡蛋和一些糖放进一个大碗里。",
            f"{h['name']}搅啊搅，一直搅到胳膊都酸了。",
            "然后他们把它放进烤箱，耐心地等着。",
            _say(r, h["name"], "好了吗？", "问"),
            _say(r, self.helper[1], "还没有呢，我们要有耐心。", "说"),
            "过了一会儿，厨房里飘满了香甜的味道。",
            f"做好以后，{h['name']}分了一些给{self.f['name']}，大家都很{r.choice(FEEL_GOOD)}。",
        ]

    def trip(self) -> list[str]:
        r, h, f = self.r, self.h, self.f
        a, b = self.sights[0], self.sights[1 + r.randrange(2)]
        self.moral = r.choice(["世界上有那么多美好的东西等着我们去看。", f"{h['name']}真想快点再去一次。"])
        return [
            f"{r.choice(TIMES)}，{self.helper[0]}带{h['name']}和{f['name']}去{self.place}。",
            f"在{self.at}，他们看到了{a}，还看到了{b}。",
            _say(r, h["name"], f"快看！{r.choice(['好大呀', '真漂亮', '真好玩', '太神奇了'])}！", "大声喊"),
            f"{f['name']}笑着指向{r.choice(self.sights)}。",
            f"他们一直待到天空变成了{r.choice(['橘红色', '粉红色', '深蓝色'])}。",
            f"回家的路上，{h['name']}累得睡着了。",
        ]

    def plant(self) -> list[str]:
        r, h = self.r, self.h
        n = r.randrange(2, 9)
        days = r.randrange(3, 11)
        plant = r.choice(["向日葵", "郁金香", "玫瑰花", "小雏菊", "西红柿", "豆子", "南瓜", "胡萝卜"])
        self.moral = r.choice(["耐心能让东西慢慢长大。", "好东西值得耐心等待。"])
        return [
            f"{r.choice(TIMES)}，{self.helper[0]}给了{h['name']}{_count(r, n, '颗')}小种子。",
            f"{h['he']}把种子种成一排，每天都给它们浇水。",
            f"一开始，什么也没有长出来，{h['name']}有点{r.choice(['着急', '担心', '难过'])}。",
            _say(r, h["name"], "我的种子为什么还不发芽呀？", "问"),
            _say(r, self.helper[1], "植物需要阳光、水，还需要时间。", "说"),
            f"于是{h['name']}每天继续浇水。",
            f"过了{number(days)}天，土里冒出了{_count(r, n, '棵')}绿绿的小芽！",
            f"因为{h['he']}很有耐心，种子慢慢长成了高高的{plant}。",
            f"{h['name']}带{self.f['name']}来看，两个人都很{r.choice(FEEL_GOOD)}。",
        ]

    def birthday(self) -> list[str]:
        r, h, f = self.r, self.h, self.f
        age = r.randrange(4, 10)
        gift = r.choice(["一张画着大爱心的贺卡", "一幅他们俩的画", "一串贝壳项链", "一小盒饼干", "一首歌"])
        self.moral = r.choice(["用心做的礼物是最好的礼物。", "让朋友开心，自己也会很开心。"])
        return [
            f"很快就到了{f['name']}的生日，{f['he']}要满{number(age)}岁了。",
            f"{h['name']}想送{f['he']}一份礼物，可是{h['he']}没有钱。",
            f"{h['he']}想啊想，突然有了一个好主意！",
            f"{h['he']}自己动手做了{gift}。",
            f"生日会上，蛋糕上插着{_count(r, age, '根')}蜡烛，{f['name']}一口气把它们全吹灭了。",
            f"{h['name']}把礼物送给了{f['name']}。",
            _say(r, f["name"], "我太喜欢了！这是我收到的最好的礼物！", "大声喊"),
            f"{h['name']}心里暖暖的，觉得很{r.choice(FEEL_GOOD)}。",
        ]

    def ending(self) -> list[str]:
        r, h = self.r, self.h
        out = [r.choice([
            f"那天晚上，{h['name']}带着甜甜的笑容睡着了。",
            f"从那天起，{h['name']}和{self.f['name']}成了最好的朋友。",
            f"对{h['name']}来说，这真是美好的一天。",
            f"{h['name']}永远也忘不了那一天。",
            "从此以后，大家都过得快快乐乐的。",
        ])]
        if self.moral and r.random() < 0.8:
            out.append(self.moral)
        return out


def story(rng: random.Random) -> str:
    """One Chinese story (a few paragraphs, no trailing newline)."""
    return compose(_Story(rng), rng, "")
