"""clearsight never infers the age, sex, race, emotion or health of the people it sees.

This scans the package's code (everything but ``evaluation/``, where demographic labels of
offline benchmark datasets are used to measure error rates per group) for identifiers,
keys, imports and model files that would mean such an inference. Sentences in docstrings
and help text are not scanned: saying that clearsight does *not* do this is fine.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import clearsight

PACKAGE = Path(clearsight.__file__).resolve().parent
# Offline evaluation (and its command line) measures error rates per demographic group of
# benchmark datasets; it never runs on camera video.
EXEMPT = {PACKAGE / "evaluation", PACKAGE / "cli" / "eval_commands.py"}
# Words allowed in code that never handles people: the camera fleet audit talks about the
# age of camera firmware.
ALLOWED_WORDS_IN = {
    PACKAGE / "fleet": frozenset({"age"}),
    PACKAGE / "cli" / "fleet_commands.py": frozenset({"age"}),
}

# Words that, as part of an identifier or key, mean a person is being categorised.
FORBIDDEN_WORDS = frozenset(
    (
        "age",
        "ages",
        "aged",
        "gender",
        "genders",
        "sex",
        "sexes",
        "sexual",
        "sexuality",
        "race",
        "races",
        "racial",
        "ethnicity",
        "ethnicities",
        "ethnic",
        "emotion",
        "emotions",
        "emotional",
        "mood",
        "moods",
        "sentiment",
        "affect",
        "affective",
        "health",
        "healthy",
        "illness",
        "disease",
        "diseases",
        "disability",
        "pregnant",
        "pregnancy",
        "skin",
        "skintone",
        "complexion",
        "smile",
        "smiling",
        "attractiveness",
        "beauty",
        "religion",
        "religious",
    )
)
# Attribute models and datasets (any spelling inside a name, key, import or file name).
FORBIDDEN_MODELS = (
    "fairface",
    "deepface",
    "agenet",
    "gendernet",
    "genderage",
    "ssrnet",
    "ssr_net",
    "ferplus",
    "fer2013",
    "affectnet",
    "utkface",
    "imdbwiki",
    "imdb_wiki",
    "mivolo",
    "hsemotion",
    "celeba",
    "lfwattributes",
    "lfw_attributes",
    "dex_age",
    "dldl",
)
# Words that also describe things, not people: allowed only in a name that also says which
# thing (the age of a stream, a cookie, firmware; the health of a worker or an endpoint).
THING_CONTEXT = {
    "age": frozenset(
        [
            "max",
            "min",
            "firmware",
            "stream",
            "cache",
            "cookie",
            "token",
            "file",
            "frame",
            "record",
            "message",
            "key",
            "session",
            "retention",
            "data",
            # a duration (heartbeat age_s): people's ages are not counted in seconds
            "s",
            "ms",
            "seconds",
            "minutes",
            "hours",
            "days",
        ]
    ),
    "health": frozenset(
        [
            "check",
            "after",
            "worker",
            "service",
            "endpoint",
            "probe",
            "liveness",
            "readiness",
            "camera",
            "stream",
            "cluster",
            "node",
            "process",
        ]
    ),
}
THING_CONTEXT["ages"] = THING_CONTEXT["age"]
THING_CONTEXT["healthy"] = THING_CONTEXT["health"]
# Names that are the service's liveness check (GET /health) and nothing else.
SERVICE_HEALTH = frozenset({"health", "/health", "healthz", "/healthz", "healthy"})
_IDENTIFIER_LIKE = re.compile(r"^[A-Za-z0-9_.\-/]+$")


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+|_", spaced.lower()) if w]


def _is_forbidden(name: str, allowed: frozenset[str] = frozenset()) -> str | None:
    lowered = name.lower()
    squashed = re.sub(r"[^a-z0-9_]", "", lowered.replace("-", "_"))
    for model in FORBIDDEN_MODELS:
        if model in squashed or model in squashed.replace("_", ""):
            return model
    if lowered in SERVICE_HEALTH:
        return None
    words = _words(name)
    for word in words:
        if word not in FORBIDDEN_WORDS or word in allowed:
            continue
        if THING_CONTEXT.get(word, frozenset()) & set(words):
            continue
        return word
    return None


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _names(tree: ast.AST) -> Iterator[tuple[int, str]]:
    docstrings = _docstring_nodes(tree)
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Name):
            yield line, node.id
        elif isinstance(node, ast.Attribute):
            yield line, node.attr
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield line, node.name
        elif isinstance(node, ast.arg | ast.keyword) and node.arg:
            yield line, node.arg
        elif isinstance(node, ast.alias):
            yield line, node.name
            if node.asname:
                yield line, node.asname
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield line, node.module
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and _IDENTIFIER_LIKE.match(node.value)
        ):
            yield line, node.value


def scan_source(
    source: str, name: str = "<string>", allowed: frozenset[str] = frozenset()
) -> list[str]:
    """``file:line: name (word)`` for every forbidden name in Python source."""
    tree = ast.parse(source, filename=name)
    hits = []
    for line, identifier in _names(tree):
        word = _is_forbidden(identifier, allowed)
        if word:
            hits.append(f"{name}:{line}: {identifier!r} ({word})")
    return hits


def _under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _package_files(exempt: set[Path]) -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if not any(_under(path, folder) for folder in exempt)
    ]


def _allowed_words(path: Path) -> frozenset[str]:
    words: frozenset[str] = frozenset()
    for folder, allowed in ALLOWED_WORDS_IN.items():
        if _under(path, folder):
            words |= allowed
    return words


def test_scanner_catches_categorisation() -> None:
    positives = {
        "age = model.predict_age(face)": "age",
        "labels = {'gender': g}": "gender",
        "result.emotion_scores": "emotion",
        "def estimate_ethnicity(chip): ...": "ethnicity",
        "class RaceClassifier: ...": "race",
        "import deepface": "deepface",
        "from insightface.app import genderage": "genderage",
        "path = 'models/fairface_res34.onnx'": "fairface",
        "net = load('emotion-ferplus-8.onnx')": "ferplus",
        "attrs = detect(x, attributes=['smile'])": "smile",
        "healthScore = 1": "health",
        "def classify(skinTone): ...": "skin",
    }
    for source, word in positives.items():
        hits = scan_source(source)
        assert hits and f"({word})" in hits[0], (source, hits)


def test_allowances_are_narrow() -> None:
    for thing in ("stream_max_age_s", "healthy_after_s", "max_age", "age_s", "/health"):
        assert scan_source(f"x = {thing!r}") == [], thing
    for person in ("age", "predicted_age", "age_years", "health_score", "healthy_face"):
        assert scan_source(f"{person} = 1") != [], person
    assert scan_source("firmware_age_days = 3", allowed=frozenset({"age"})) == []
    assert scan_source("predicted_gender = 1", allowed=frozenset({"age"})) != []
    assert scan_source("@router.get('/health')\ndef health(): ...") == []
    assert scan_source("health_score = estimate(face)") != []


def test_scanner_ignores_ordinary_words_and_sentences() -> None:
    negatives = """
\"\"\"clearsight never infers age, sex, race, emotion or health.\"\"\"
image = page = usage = storage = stage = message = average = None
response.set_cookie("session", value, max_age=3600)
help_text = "does not estimate anyone's age, sex, ethnicity, emotions or health"
def encourage(stage_name, language, agent, sexton_image, graceful, racetrack): ...
"""
    assert scan_source(negatives) == []


def test_scanner_sees_the_evaluation_package() -> None:
    # The exempt folder does use demographic labels; if the scanner found nothing there it
    # would be blind, not the code clean.
    evaluation = [p for p in PACKAGE.rglob("*.py") if any(_under(p, f) for f in EXEMPT)]
    if not evaluation:
        return
    hits = [hit for path in evaluation for hit in scan_source(path.read_text("utf-8"), str(path))]
    assert hits, "the scanner should see the evaluation package's demographic labels"


def test_no_categorisation_outside_offline_evaluation() -> None:
    files = _package_files(EXEMPT)
    assert len(files) >= 20
    hits = [
        hit
        for path in files
        for hit in scan_source(path.read_text("utf-8"), str(path), _allowed_words(path))
    ]
    assert hits == [], "\n".join(hits)


def test_no_attribute_models_in_package_data() -> None:
    for path in sorted(PACKAGE.rglob("*")):
        if any(_under(path, folder) for folder in EXEMPT) or not path.is_file():
            continue
        assert _is_forbidden(path.name) is None or path.suffix == ".py", path
        if path.suffix in {".json", ".toml", ".ini", ".cfg", ".yaml", ".yml"}:
            text = path.read_text("utf-8", errors="replace").lower()
            found = [model for model in FORBIDDEN_MODELS if model in text]
            assert found == [], f"{path}: {found}"
