"""Sphinx configuration: ``python -m sphinx -W -b html docs docs/_build/html`` (``pip install -e ".[docs]"``)."""
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)  # document this tree's fastnn, whichever one is installed
sys.path.insert(0, os.path.join(ROOT, "docs", "_ext"))

import fastnn  # noqa: E402

project = "fastnn"
author = "the fastnn developers"
copyright = "2026, the fastnn developers"
release = version = fastnn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",  # the user guide and performance pages are Markdown, moved from the README
    "sphinx_gallery.gen_gallery",
    "sphinx_design",  # the index page's cards
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
templates_path = ["_templates"]

autosummary_generate = True
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False  # the class template lists the methods
numpydoc_class_members_toctree = False
myst_heading_anchors = 3



sphinx_gallery_conf = {
    "examples_dirs": os.path.join(ROOT, "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # every example runs when the docs build
    "abort_on_example_error": True,
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib", "gallery_figures.fastnn_figures"),
}

html_theme = "pydata_sphinx_theme"
html_title = "fastnn"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
html_static_path = []

#: Inherited from scikit-learn and shown on the estimators' pages; its other members (``score``,
#: metadata routing) cite scikit-learn's own pages and are documented there, Python's (exceptions'
#: ``with_traceback``) in Python's.
SKLEARN_MEMBERS = {"get_params", "set_params", "set_callbacks"}


def skip_foreign_members(app, what, name, obj, skip, options):
    """Document fastnn's own members, and of inherited ones only ``SKLEARN_MEMBERS``."""
    module = getattr(obj, "__module__", None) or ""
    if what in ("class", "exception") and not module.startswith("fastnn") and name not in SKLEARN_MEMBERS:
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", skip_foreign_members)
