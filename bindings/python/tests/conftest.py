import json
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures"


@pytest.fixture(scope="session")
def repo_root() -> pathlib.Path:
    return REPO


def fixture_files(area: str):
    """The shared golden vectors of one area (tests/fixtures/<area>/*.json)."""
    return sorted((FIXTURES / area).glob("*.json"))


def load(path):
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
