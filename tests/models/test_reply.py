import pytest

from optiloop.models.reply import ReplyError, extract_code


def test_one_block_with_rationale() -> None:
    code, why = extract_code("Use a set.\n\n```python\ndef f(x):\n    return x\n```\n")
    assert code == "def f(x):\n    return x\n"
    assert why == "Use a set."


def test_no_block_is_a_problem_for_the_model() -> None:
    with pytest.raises(ReplyError, match="no fenced"):
        extract_code("def f(x): return x")


def test_two_blocks_are_refused() -> None:
    with pytest.raises(ReplyError, match="2 code blocks"):
        extract_code("```python\nimport re\n```\n```python\ndef f():\n    pass\n```\n")


def test_other_languages_are_ignored() -> None:
    code, _ = extract_code("```bash\npip install x\n```\n```python\ndef f():\n    pass\n```\n")
    assert code.startswith("def f")
