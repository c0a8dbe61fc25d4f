"""Citations as data: the papers and pages the notebooks cite, and a markdown renderer.

The notebook form of the lecture's ``references.py`` / ``link(...)``: one record per source, looked
up by key, rendered as a markdown link (``cite("kaplan2020")``). Deliberate simplifications: authors
are abbreviated to the first three plus "et al."; no abstracts; nothing is fetched from the web.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Reference", "REFERENCES", "get", "cite", "cite_many", "ARXIV_ID"]

ARXIV_ID = re.compile(r"^\d{4}\.\d{4,5}$")


@dataclass(frozen=True)
class Reference:
    """A paper, post or page: title, authors, year and either an arXiv id or a URL."""

    key: str
    title: str
    authors: tuple[str, ...]
    year: int
    arxiv: str = ""
    url: str = ""
    note: str = ""

    @property
    def link(self) -> str:
        """The URL: the arXiv abstract page when there is an arXiv id."""
        return f"https://arxiv.org/abs/{self.arxiv}" if self.arxiv else self.url

    @property
    def short_authors(self) -> str:
        """A single author (or organisation) in full; else surnames: ``Kaplan et al.``, ``A & B``."""
        if len(self.authors) == 1:
            return self.authors[0]
        surnames = [a.split()[-1] for a in self.authors]
        return f"{surnames[0]} et al." if len(surnames) > 2 else " & ".join(surnames)

    def markdown(self) -> str:
        """``[Title](url)` (Authors, year; arXiv:id)`` as markdown."""
        where = f"; arXiv:{self.arxiv}" if self.arxiv else ""
        return f"[{self.title}]({self.link}) ({self.short_authors}, {self.year}{where})"


def _r(key: str, title: str, authors: str, year: int, arxiv: str = "", url: str = "",
       note: str = "") -> Reference:
    return Reference(key, title, tuple(a.strip() for a in authors.split(",")), year, arxiv, url, note)


_ALL = [
    # Course and its sources
    _r("cs336", "Stanford CS336: Language Modeling from Scratch (Spring 2025)",
       "Tatsunori Hashimoto, Percy Liang", 2025, url="https://stanford-cs336.github.io/spring2025/"),
    _r("cs336_lectures", "stanford-cs336/spring2025-lectures (lecture_01.py, trace viewer)",
       "Tatsunori Hashimoto, Percy Liang", 2025, url="https://github.com/stanford-cs336/spring2025-lectures"),
    _r("cs336_a1", "CS336 Assignment 1: Basics", "Stanford CS336 staff", 2025,
       url="https://github.com/stanford-cs336/assignment1-basics"),
    _r("oneraise_notes", "CS336-Notes (Chinese notes)", "OneRaise5385", 2025,
       url="https://github.com/OneRaise5385/CS336-Notes", note="MIT; the seed note of this series"),
    _r("roller_tweet", "OPT setups: FLOPs split by component (tweet)", "Stephen Roller", 2022,
       url="https://x.com/stephenroller/status/1579993017234382849"),
    _r("metaseq", "metaseq (OPT training code, opt_job_constants.py)", "Meta AI", 2022,
       url="https://github.com/facebookresearch/metaseq"),
    # Industrialisation (news; rumours are marked as such in the notebooks)
    _r("hpcwire_gpt4", "The Generative AI Future Is Now, Nvidia's Huang Says", "HPCwire", 2024,
       url="https://www.hpcwire.com/2024/03/19/the-generative-ai-future-is-now-nvidias-huang-says"),
    _r("wired_altman", "OpenAI's CEO Says the Age of Giant AI Models Is Already Over", "Wired", 2023,
       url="https://www.wired.com/story/openai-ceo-sam-altman-the-age-of-giant-ai-models-is-already-over/"),
    _r("xai_colossus", "Elon Musk is doubling the world's largest AI GPU cluster", "Tom's Hardware", 2024,
       url="https://www.tomshardware.com/pc-components/gpus/elon-musk-is-doubling-the-worlds-largest-ai-gpu-cluster-expanding-colossus-gpu-cluster-to-200-000-soon-has-floated-300-000-in-the-past"),
    _r("stargate", "Announcing The Stargate Project", "OpenAI", 2025,
       url="https://openai.com/index/announcing-the-stargate-project/"),
    _r("gpt4", "GPT-4 Technical Report", "OpenAI", 2023, arxiv="2303.08774"),
    # Pre-neural and neural ingredients
    _r("shannon1950", "Prediction and Entropy of Printed English", "Claude E. Shannon", 1951,
       url="https://doi.org/10.1002/j.1538-7305.1951.tb01366.x"),
    _r("brants2007", "Large Language Models in Machine Translation",
       "Thorsten Brants, Ashok C. Popat, Peng Xu, Franz J. Och, Jeffrey Dean", 2007,
       url="https://aclanthology.org/D07-1090/"),
    _r("bengio2003", "A Neural Probabilistic Language Model",
       "Yoshua Bengio, Réjean Ducharme, Pascal Vincent, Christian Jauvin", 2003,
       url="https://www.jmlr.org/papers/v3/bengio03a.html"),
    _r("seq2seq", "Sequence to Sequence Learning with Neural Networks",
       "Ilya Sutskever, Oriol Vinyals, Quoc V. Le", 2014, arxiv="1409.3215"),
    _r("adam", "Adam: A Method for Stochastic Optimization", "Diederik P. Kingma, Jimmy Ba", 2014,
       arxiv="1412.6980"),
    _r("bahdanau2014", "Neural Machine Translation by Jointly Learning to Align and Translate",
       "Dzmitry Bahdanau, Kyunghyun Cho, Yoshua Bengio", 2014, arxiv="1409.0473"),
    _r("transformer", "Attention Is All You Need",
       "Ashish Vaswani, Noam Shazeer, Niki Parmar, Jakob Uszkoreit, Llion Jones, Aidan N. Gomez, "
       "Łukasz Kaiser, Illia Polosukhin", 2017, arxiv="1706.03762"),
    _r("moe", "Outrageously Large Neural Networks: The Sparsely-Gated Mixture-of-Experts Layer",
       "Noam Shazeer, Azalia Mirhoseini, Krzysztof Maziarz, Andy Davis, Quoc Le, Geoffrey Hinton, "
       "Jeff Dean", 2017, arxiv="1701.06538"),
    _r("gpipe", "GPipe: Efficient Training of Giant Neural Networks using Pipeline Parallelism",
       "Yanping Huang, Youlong Cheng, Ankur Bapna", 2018, arxiv="1811.06965"),
    _r("zero", "ZeRO: Memory Optimizations Toward Training Trillion Parameter Models",
       "Samyam Rajbhandari, Jeff Rasley, Olatunji Ruwase, Yuxiong He", 2019, arxiv="1910.02054"),
    _r("megatron", "Megatron-LM: Training Multi-Billion Parameter Language Models Using Model Parallelism",
       "Mohammad Shoeybi, Mostofa Patwary, Raul Puri", 2019, arxiv="1909.08053"),
    # Early foundation models and scaling
    _r("elmo", "Deep contextualized word representations", "Matthew E. Peters, Mark Neumann, Mohit Iyyer",
       2018, arxiv="1802.05365"),
    _r("bert", "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
       "Jacob Devlin, Ming-Wei Chang, Kenton Lee, Kristina Toutanova", 2018, arxiv="1810.04805"),
    _r("t5", "Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer",
       "Colin Raffel, Noam Shazeer, Adam Roberts", 2019, arxiv="1910.10683"),
    _r("gpt2", "Language Models are Unsupervised Multitask Learners",
       "Alec Radford, Jeffrey Wu, Rewon Child, David Luan, Dario Amodei, Ilya Sutskever", 2019,
       url="https://cdn.openai.com/better-language-models/language_models_are_unsupervised_multitask_learners.pdf"),
    _r("kaplan2020", "Scaling Laws for Neural Language Models",
       "Jared Kaplan, Sam McCandlish, Tom Henighan", 2020, arxiv="2001.08361"),
    _r("gpt3", "Language Models are Few-Shot Learners", "Tom B. Brown, Benjamin Mann, Nick Ryder", 2020,
       arxiv="2005.14165", note="175B parameters, 300B tokens"),
    _r("palm", "PaLM: Scaling Language Modeling with Pathways",
       "Aakanksha Chowdhery, Sharan Narang, Jacob Devlin", 2022, arxiv="2204.02311"),
    _r("chinchilla", "Training Compute-Optimal Large Language Models",
       "Jordan Hoffmann, Sebastian Borgeaud, Arthur Mensch", 2022, arxiv="2203.15556"),
    _r("chinchilla_replication", "Chinchilla Scaling: A replication attempt",
       "Tamay Besiroglu, Ege Erdil, Matthew Barnett, Josh You", 2024, arxiv="2404.10102"),
    _r("hernandez2020", "Measuring the Algorithmic Efficiency of Neural Networks",
       "Danny Hernandez, Tom B. Brown", 2020, arxiv="2005.04305"),
    _r("bitter_lesson", "The Bitter Lesson", "Rich Sutton", 2019,
       url="http://www.incompleteideas.net/IncIdeas/BitterLesson.html"),
    _r("wei2022", "Emergent Abilities of Large Language Models",
       "Jason Wei, Yi Tay, Rishi Bommasani", 2022, arxiv="2206.07682"),
    _r("schaeffer2023", "Are Emergent Abilities of Large Language Models a Mirage?",
       "Rylan Schaeffer, Brando Miranda, Sanmi Koyejo", 2023, arxiv="2304.15004"),
    _r("anderson1972", "More Is Different", "P. W. Anderson", 1972,
       url="https://doi.org/10.1126/science.177.4047.393"),
    # Open models
    _r("pile", "The Pile: An 800GB Dataset of Diverse Text for Language Modeling",
       "Leo Gao, Stella Biderman, Sid Black", 2020, arxiv="2101.00027"),
    _r("gptj", "GPT-J-6B: A 6 Billion Parameter Autoregressive Language Model", "Ben Wang, Aran Komatsuzaki",
       2021, url="https://github.com/kingoflolz/mesh-transformer-jax"),
    _r("opt", "OPT: Open Pre-trained Transformer Language Models",
       "Susan Zhang, Stephen Roller, Naman Goyal", 2022, arxiv="2205.01068"),
    _r("bloom", "BLOOM: A 176B-Parameter Open-Access Multilingual Language Model", "BigScience Workshop",
       2022, arxiv="2211.05100"),
    _r("llama", "LLaMA: Open and Efficient Foundation Language Models",
       "Hugo Touvron, Thibaut Lavril, Gautier Izacard", 2023, arxiv="2302.13971"),
    _r("llama2", "Llama 2: Open Foundation and Fine-Tuned Chat Models",
       "Hugo Touvron, Louis Martin, Kevin Stone", 2023, arxiv="2307.09288"),
    _r("llama3", "The Llama 3 Herd of Models", "Llama Team (AI @ Meta)", 2024, arxiv="2407.21783"),
    _r("qwen25", "Qwen2.5 Technical Report", "Qwen Team", 2024, arxiv="2412.15115"),
    _r("deepseek67b", "DeepSeek LLM: Scaling Open-Source Language Models with Longtermism", "DeepSeek-AI",
       2024, arxiv="2401.02954"),
    _r("deepseek_v2", "DeepSeek-V2: A Strong, Economical, and Efficient Mixture-of-Experts Language Model",
       "DeepSeek-AI", 2024, arxiv="2405.04434"),
    _r("deepseek_v3", "DeepSeek-V3 Technical Report", "DeepSeek-AI", 2024, arxiv="2412.19437"),
    _r("deepseek_r1", "DeepSeek-R1: Incentivizing Reasoning Capability in LLMs via Reinforcement Learning",
       "DeepSeek-AI", 2025, arxiv="2501.12948"),
    _r("olmo", "OLMo: Accelerating the Science of Language Models",
       "Dirk Groeneveld, Iz Beltagy, Pete Walsh", 2024, arxiv="2402.00838"),
    _r("olmo2", "2 OLMo 2 Furious", "Team OLMo", 2024, arxiv="2501.00656"),
    # Basics: tokenization and architecture
    _r("sennrich2016", "Neural Machine Translation of Rare Words with Subword Units",
       "Rico Sennrich, Barry Haddow, Alexandra Birch", 2016, arxiv="1508.07909"),
    _r("byt5", "ByT5: Towards a token-free future with pre-trained byte-to-byte models",
       "Linting Xue, Aditya Barua, Noah Constant", 2021, arxiv="2105.13626"),
    _r("megabyte", "MEGABYTE: Predicting Million-byte Sequences with Multiscale Transformers",
       "Lili Yu, Dániel Simig, Colin Flaherty", 2023, arxiv="2305.07185"),
    _r("blt", "Byte Latent Transformer: Patches Scale Better Than Tokens",
       "Artidoro Pagnoni, Ram Pasunuru, Pedro Rodriguez", 2024, arxiv="2412.09871"),
    _r("tfree", "T-FREE: Subword Tokenizer-Free Generative LLMs via Sparse Representations",
       "Björn Deiseroth, Manuel Brack, Patrick Schramowski", 2024, arxiv="2406.19223"),
    _r("swiglu", "GLU Variants Improve Transformer", "Noam Shazeer", 2020, arxiv="2002.05202"),
    _r("rope", "RoFormer: Enhanced Transformer with Rotary Position Embedding",
       "Jianlin Su, Yu Lu, Shengfeng Pan", 2021, arxiv="2104.09864"),
    _r("layernorm", "Layer Normalization", "Jimmy Lei Ba, Jamie Ryan Kiros, Geoffrey E. Hinton", 2016,
       arxiv="1607.06450"),
    _r("rmsnorm", "Root Mean Square Layer Normalization", "Biao Zhang, Rico Sennrich", 2019,
       arxiv="1910.07467"),
    _r("prenorm", "On Layer Normalization in the Transformer Architecture",
       "Ruibin Xiong, Yunchang Yang, Di He", 2020, arxiv="2002.04745"),
    _r("mistral", "Mistral 7B", "Albert Q. Jiang, Alexandre Sablayrolles, Arthur Mensch", 2023,
       arxiv="2310.06825"),
    _r("linear_attention", "Transformers are RNNs: Fast Autoregressive Transformers with Linear Attention",
       "Angelos Katharopoulos, Apoorv Vyas, Nikolaos Pappas, François Fleuret", 2020, arxiv="2006.16236"),
    _r("gqa", "GQA: Training Generalized Multi-Query Transformer Models from Multi-Head Checkpoints",
       "Joshua Ainslie, James Lee-Thorp, Michiel de Jong", 2023, arxiv="2305.13245"),
    _r("hyena", "Hyena Hierarchy: Towards Larger Convolutional Language Models",
       "Michael Poli, Stefano Massaroli, Eric Nguyen", 2023, arxiv="2302.10866"),
    _r("adamw", "Decoupled Weight Decay Regularization", "Ilya Loshchilov, Frank Hutter", 2017,
       arxiv="1711.05101"),
    _r("muon", "Muon: An optimizer for hidden layers in neural networks", "Keller Jordan", 2024,
       url="https://kellerjordan.github.io/posts/muon/"),
    _r("soap", "SOAP: Improving and Stabilizing Shampoo using Adam", "Nikhil Vyas, Depen Morwani, Rosie Zhao",
       2024, arxiv="2409.11321"),
    _r("sgdr", "SGDR: Stochastic Gradient Descent with Warm Restarts", "Ilya Loshchilov, Frank Hutter",
       2016, arxiv="1608.03983"),
    _r("minicpm", "MiniCPM: Unveiling the Potential of Small Language Models with Scalable Training Strategies",
       "Shengding Hu, Yuge Tu, Xu Han", 2024, arxiv="2404.06395"),
    _r("critical_batch", "An Empirical Model of Large-Batch Training",
       "Sam McCandlish, Jared Kaplan, Dario Amodei", 2018, arxiv="1812.06162"),
    # Systems
    _r("triton", "Triton: an intermediate language and compiler for tiled neural network computations",
       "Philippe Tillet, H. T. Kung, David Cox", 2019, url="https://triton-lang.org/"),
    _r("flashattention", "FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness",
       "Tri Dao, Daniel Y. Fu, Stefano Ermon, Atri Rudra, Christopher Ré", 2022, arxiv="2205.14135"),
    _r("palm_mfu", "PaLM (Appendix B: model FLOPs utilization)",
       "Aakanksha Chowdhery, Sharan Narang, Jacob Devlin", 2022, arxiv="2204.02311"),
    _r("speculative", "Fast Inference from Transformers via Speculative Decoding",
       "Yaniv Leviathan, Matan Kalman, Yossi Matias", 2022, arxiv="2211.17192"),
    _r("h100", "NVIDIA H100 Tensor Core GPU (datasheet)", "NVIDIA", 2023,
       url="https://www.nvidia.com/en-us/data-center/h100/"),
    # Data
    _r("fair_use", "Foundation Models and Fair Use", "Peter Henderson, Xuechen Li, Dan Jurafsky", 2023,
       arxiv="2303.15715"),
    _r("common_crawl", "Common Crawl", "Common Crawl Foundation", 2024, url="https://commoncrawl.org/"),
    _r("broder1997", "On the resemblance and containment of documents", "Andrei Z. Broder", 1997,
       url="https://doi.org/10.1109/SEQUEN.1997.666900", note="MinHash"),
    _r("bloom1970", "Space/time trade-offs in hash coding with allowable errors", "Burton H. Bloom", 1970,
       url="https://doi.org/10.1145/362686.362692"),
    _r("gopher", "Scaling Language Models: Methods, Analysis & Insights from Training Gopher",
       "Jack W. Rae, Sebastian Borgeaud, Trevor Cai", 2021, arxiv="2112.11446",
       note="MassiveText quality filters"),
    _r("mmlu", "Measuring Massive Multitask Language Understanding",
       "Dan Hendrycks, Collin Burns, Steven Basart", 2020, arxiv="2009.03300"),
    # Alignment
    _r("lima", "LIMA: Less Is More for Alignment", "Chunting Zhou, Pengfei Liu, Puxin Xu", 2023,
       arxiv="2305.11206"),
    _r("ppo", "Proximal Policy Optimization Algorithms",
       "John Schulman, Filip Wolski, Prafulla Dhariwal, Alec Radford, Oleg Klimov", 2017, arxiv="1707.06347"),
    _r("instructgpt", "Training language models to follow instructions with human feedback",
       "Long Ouyang, Jeff Wu, Xu Jiang", 2022, arxiv="2203.02155"),
    _r("dpo", "Direct Preference Optimization: Your Language Model is Secretly a Reward Model",
       "Rafael Rafailov, Archit Sharma, Eric Mitchell", 2023, arxiv="2305.18290"),
    _r("deepseekmath", "DeepSeekMath: Pushing the Limits of Mathematical Reasoning in Open Language Models",
       "Zhihong Shao, Peiyi Wang, Qihao Zhu", 2024, arxiv="2402.03300",
       note="defines GRPO, Group Relative Policy Optimization"),
]

REFERENCES: dict[str, Reference] = {r.key: r for r in _ALL}
if len(REFERENCES) != len(_ALL):  # a duplicate key would silently drop a reference
    raise RuntimeError("duplicate reference key in lecture_utils.references")


def get(key: str) -> Reference:
    """The reference for ``key``; a clear error lists close keys if it is unknown."""
    try:
        return REFERENCES[key]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(key, REFERENCES, n=3)
        raise KeyError(f"unknown reference {key!r}; did you mean {close}? "
                       "(see lecture_utils.references.REFERENCES)") from None


def cite(key: str) -> str:
    """Markdown link for one reference: ``cite("transformer")`` -> "[Attention Is All You Need](…) (…)"."""
    return get(key).markdown()


def cite_many(*keys: str) -> str:
    """Markdown bullet list of several references."""
    return "\n".join(f"- {cite(k)}" for k in keys)
