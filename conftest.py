"""pytest at the repository root: the docstring examples of cnnviz/ run as tests (--doctest-modules), except the
dashboard's modules, which import Streamlit and run their page when imported."""

collect_ignore = ["cnnviz/dashboard"]
