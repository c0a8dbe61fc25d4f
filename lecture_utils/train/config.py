"""What a run is made of: the settings as dataclasses, validated in one place, and the presets.

A run's config is a JSON object with three sections, as in `lecture_utils/configs/*.json`::

    {"model": {...ModelConfig...}, "train": {...TrainConfig...}, "data": {...DataConfig...}}

Every value is checked when its dataclass is built (`check_fields`, the one validation): right type,
finite, in range. A mistake raises `ConfigError` with one line that names the setting, what it must
be and how to fix it, before anything is downloaded, tokenized or trained.
"""
from __future__ import annotations

import difflib
import json
import math
import os
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path

from ..model import ModelConfig

__all__ = [
    "ConfigError", "TrainConfig", "DataConfig", "model_config", "load_preset", "list_presets",
    "apply_overrides", "use_corpus", "parse_config", "CONFIG_DIR",
]

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
SECTIONS = ("model", "train", "data")
CORPORA = ("embedded", "embedded:en", "embedded:zh", "tinystories", "tinystories-valid")


class ConfigError(ValueError):
    """A setting the run cannot use; the message names the setting and the fix."""


# ---------------------------------------------------------------------------------------------- the rules


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def integer(low: int, none_ok: bool = False):
    """Rule: an integer >= low (or null)."""
    return (lambda v: (none_ok and v is None) or (_is_int(v) and v >= low),
            f"an integer >= {low}" + (" or null" if none_ok else ""))


def number(low: float, high: float | None = None, low_open: bool = False, high_open: bool = False):
    """Rule: a finite number in [low, high] (open ends where asked)."""
    def ok(v) -> bool:
        return (_is_num(v) and (v > low if low_open else v >= low)
                and (high is None or (v < high if high_open else v <= high)))
    lo, hi = ("(" if low_open else "[") + f"{low}", f"{high}" + (")" if high_open else "]")
    return ok, (f"a finite number in {lo}, {hi}" if high is not None else f"a finite number {'>' if low_open else '>='} {low}")


def one_of(*options):
    """Rule: one of the given values."""
    return (lambda v: isinstance(v, str) and v in options), "one of " + ", ".join(map(repr, options))


def boolean():
    """Rule: true or false."""
    return (lambda v: isinstance(v, bool)), "true or false"


def text():
    """Rule: a non-empty string."""
    return (lambda v: isinstance(v, str) and bool(v)), "a non-empty string"


def check_fields(section: str, values: dict, rules: dict, defaults: dict | None = None) -> None:
    """Raise ConfigError for the first value breaking its rule, naming the fix (the one validation)."""
    for name, (ok, what) in rules.items():
        if name in values and not ok(values[name]):
            hint = f" (default {json.dumps(defaults[name])})" if defaults and name in defaults else ""
            raise ConfigError(f"{section}.{name} must be {what}, got {json.dumps(values[name])}; fix it in the config "
                              f"file or with --set {section}.{name}=VALUE{hint}")


def _known(section: str, cls, data) -> dict:
    """`data` as a dict of known field names of `cls`, naming (and spelling out) unknown keys."""
    if not isinstance(data, dict):
        raise ConfigError(f"the {section!r} section must be a JSON object of settings, got {json.dumps(data)}")
    known = [f.name for f in fields(cls)]
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigError(f"unknown {section} setting {key!r}; {hint}allowed: {', '.join(known)}")
    return dict(data)


def _defaults(cls) -> dict:
    return {f.name: f.default for f in fields(cls) if f.default is not MISSING}


# ---------------------------------------------------------------------------------------------- the sections


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation and bookkeeping settings; `batch_size` is the global batch (all processes together)."""

    batch_size: int = 16
    max_steps: int = 200
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup_steps: int = 20
    cosine_steps: int | None = None  # end of the cosine decay; None = max_steps (kept when a resume extends max_steps)
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    eps: float = 1e-8
    grad_clip: float = 1.0  # 0 turns clipping off
    log_interval: int = 10
    eval_interval: int = 0  # 0 = evaluate only at the end
    eval_tokens: int = 32768  # size of the fixed validation subset
    checkpoint_interval: int = 0  # 0 = checkpoint only at the end (when out_dir is given)
    seed: int = 0
    precision: str = "fp32"  # or "bf16": autocast matmuls to bfloat16 (GPUs; slow on most CPUs)
    compile: bool = False  # torch.compile the model (worth it on GPUs for long runs)

    def __post_init__(self) -> None:
        check_fields("train", asdict(self), TRAIN_RULES, _defaults(TrainConfig))
        if self.min_lr > self.lr:
            raise ConfigError(f"train.min_lr={self.min_lr} is above train.lr={self.lr}; the schedule decays from lr "
                              "to min_lr, so set min_lr <= lr (e.g. lr / 10)")

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        """Build from a dict, naming unknown keys."""
        return cls(**_known("train", cls, data))


TRAIN_RULES = {
    "batch_size": integer(1), "max_steps": integer(1), "lr": number(0, low_open=True), "min_lr": number(0),
    "warmup_steps": integer(0), "cosine_steps": integer(1, none_ok=True), "weight_decay": number(0),
    "beta1": number(0, 1, high_open=True), "beta2": number(0, 1, high_open=True), "eps": number(0, low_open=True),
    "grad_clip": number(0), "log_interval": integer(1), "eval_interval": integer(0), "eval_tokens": integer(1),
    "checkpoint_interval": integer(0), "seed": integer(0), "precision": one_of("fp32", "bf16"), "compile": boolean(),
}


@dataclass(frozen=True)
class DataConfig:
    """Where the text comes from: 'embedded' ('embedded:en', 'embedded:zh'), 'tinystories', 'tinystories-valid'
    or the path of a UTF-8 text file or folder."""

    corpus: str = "embedded"
    val_fraction: float = 0.1  # share of documents held out (not used by 'tinystories', which has its own split)
    max_chars: int | None = None  # use only the first max_chars characters (quick tries; not for 'tinystories')

    def __post_init__(self) -> None:
        check_fields("data", asdict(self), DATA_RULES, _defaults(DataConfig))
        if self.corpus == "tinystories" and self.max_chars is not None:
            raise ConfigError("data.max_chars cannot cut the full TinyStories corpus (its train and valid files are "
                              "separate); use --corpus tinystories-valid with max_chars, or drop data.max_chars")

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "DataConfig":
        """Build from a dict, naming unknown keys."""
        return cls(**_known("data", cls, data))


DATA_RULES = {
    "corpus": (text()[0], "a string: " + ", ".join(map(repr, CORPORA)) + " or the path of a text file or folder"),
    "val_fraction": number(0, 1, low_open=True, high_open=True), "max_chars": integer(1, none_ok=True),
}

MODEL_REQUIRED = ("vocab_size", "context_length", "d_model", "num_layers", "num_heads", "d_ff")
MODEL_RULES = {
    **{name: integer(1) for name in MODEL_REQUIRED},
    "rope_theta": number(0, low_open=True), "norm_eps": number(0, low_open=True), "attention": one_of("fused", "naive"),
}


def model_config(data: dict | ModelConfig) -> ModelConfig:
    """A `ModelConfig` from a dict, with one-line errors for missing, unknown or ill-typed settings."""
    if isinstance(data, ModelConfig):
        return data
    data = _known("model", ModelConfig, data)
    missing = [name for name in MODEL_REQUIRED if name not in data]
    if missing:
        raise ConfigError(f"the model section is missing {', '.join(missing)}; a model needs "
                          f"{', '.join(MODEL_REQUIRED)} (see lecture_utils/configs/tiny.json)")
    check_fields("model", data, MODEL_RULES)
    try:
        return ModelConfig(**data)
    except (ValueError, TypeError) as err:  # divisibility and the like: model.py's own message
        raise ConfigError(f"model: {err}") from None


# ---------------------------------------------------------------------------------------------- whole configs


def parse_config(config: dict, where: str = "config") -> tuple[ModelConfig, TrainConfig, DataConfig]:
    """The three sections of a run config, each validated; `where` names the source in messages."""
    if not isinstance(config, dict):
        raise ConfigError(f"{where}: a config is a JSON object with keys 'model', 'train', 'data'; "
                          f"got a {type(config).__name__}")
    unknown = sorted(set(config) - {"name", "description", *SECTIONS})
    if unknown or "model" not in config:
        raise ConfigError(f"{where}: a config has keys 'model' (required), 'train', 'data', 'name', 'description'; "
                          f"got {sorted(config)}")
    return (model_config(config["model"]), TrainConfig.from_dict(config.get("train", {})),
            DataConfig.from_dict(config.get("data", {})))


def list_presets() -> list[str]:
    """Names of the presets shipped in lecture_utils/configs/."""
    return sorted(p.stem for p in CONFIG_DIR.glob("*.json"))


def load_preset(name_or_path: str | os.PathLike) -> dict:
    """A preset by name ('tiny') or a JSON file path -> {'name', 'model', 'train', 'data', ...}, validated."""
    path = Path(name_or_path)
    if path.suffix != ".json":
        path = CONFIG_DIR / f"{name_or_path}.json"
        if not path.exists():
            raise ConfigError(f"unknown config {str(name_or_path)!r}: not a JSON file and not a preset "
                              f"(presets: {', '.join(list_presets())})")
    if not path.exists():
        raise FileNotFoundError(f"config file not found: {path} (presets: {', '.join(list_presets())})")
    if not path.is_file():
        raise ConfigError(f"config {path} is a folder; pass a JSON file or a preset name")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path} is not valid JSON: {err}") from None
    parse_config(data, where=str(path))
    data.setdefault("name", path.stem)
    data.setdefault("train", {})
    data.setdefault("data", {})
    return data


def _parse_value(raw: str):
    """A --set value: JSON when it parses (3, 0.5, true, null, "x"), else a float spelling (.5, 1e-3), else text."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        pass
    try:
        return float(raw)
    except ValueError:
        return raw


def apply_overrides(config: dict, assignments: list[str]) -> dict:
    """`section.key=value` strings applied to a copy of `config` (checked later, with the rest)."""
    config = json.loads(json.dumps(config))
    for item in assignments:
        target, sep, raw_value = item.partition("=")
        section, dot, key = target.partition(".")
        if not sep or not dot or section not in SECTIONS or not key:
            raise ConfigError(f"--set {item!r}: expected SECTION.KEY=VALUE with SECTION model, train or data, "
                              "e.g. --set train.lr=0.003")
        config.setdefault(section, {})[key] = _parse_value(raw_value)
    return config


def use_corpus(config: dict, corpus: str) -> tuple[dict, str | None]:
    """`config` with data.corpus = corpus; a preset's max_chars is kept where the new corpus can be cut.

    Returns (new config, note or None): the note says when the preset's max_chars was dropped.
    """
    config = json.loads(json.dumps(config))
    data = config.setdefault("data", {})
    data["corpus"] = corpus
    if corpus == "tinystories" and data.get("max_chars") is not None:
        dropped = data.pop("max_chars")
        return config, (f"note: the preset's data.max_chars={dropped} is not used: 'tinystories' is read whole "
                        "(use --corpus tinystories-valid for a cut)")
    return config, None
