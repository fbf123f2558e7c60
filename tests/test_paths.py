from pathlib import Path

from optiloop.config import DEFAULT_EXCLUDE
from optiloop.paths import Scope, glob_match, scripts_in


def test_glob_double_star_spans_directories() -> None:
    assert glob_match("a/b/tests/test_x.py", "**/tests/**")
    assert glob_match("tests/x.py", "tests/**")
    assert glob_match("pkg/test_mod.py", "**/test_*.py")
    assert glob_match("test_mod.py", "**/test_*.py")
    assert not glob_match("pkg/mod.py", "**/test_*.py")
    assert glob_match("vendor/x/y.py", "vendor/")
    assert not glob_match("pkg/sub/mod.py", "pkg/*.py")


def test_scope_default_excludes_tests_and_harness() -> None:
    scope = Scope("", (), DEFAULT_EXCLUDE + ("workload.py",))
    assert scope.contains("pkg/mod.py")
    assert not scope.contains("tests/test_mod.py")
    assert not scope.contains("workload.py")
    assert not scope.contains("pkg/data.txt")
    assert not scope.contains(".venv/lib/site.py")


def test_scope_include_and_subdir() -> None:
    scope = Scope("services/api", ("app/**",), ())
    assert scope.contains("services/api/app/views.py")
    assert not scope.contains("services/api/other.py")
    assert not scope.contains("services/web/app/views.py")


def test_scope_files_skips_hidden_directories(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "b.py").write_text("x = 1\n")
    assert Scope("", (), ()).files(tmp_path) == ["pkg/a.py"]


def test_scripts_in_a_command() -> None:
    assert scripts_in("python bench/run.py --n 3") == ("bench/run.py",)
    assert scripts_in("make bench") == ()


def test_scope_skips_vendored_and_generated_code() -> None:
    scope = Scope("", (), DEFAULT_EXCLUDE)
    for rel in ("pkg/_vendor/six.py", "src/pkg/vendor/lib.py", "pkg/api_pb2.py", "pkg/api_pb2_grpc.py",
                "src/pkg/_version.py"):
        assert not scope.contains(rel), rel
    assert scope.contains("src/pkg/vendors.py") and scope.contains("pkg/version.py")
