"""A sphinx-gallery image scraper for ``fastnn.plot``'s figures (named in ``docs/conf.py``)."""


def fastnn_figures(block, block_vars, gallery_conf):
    """sphinx-gallery scraper for the figures ``fastnn.plot`` returns: matplotlib ``Figure``
    objects outside pyplot, which the matplotlib scraper does not see; each is shown once."""
    from matplotlib.figure import Figure
    from sphinx_gallery.scrapers import figure_rst

    paths = []
    for value in list(block_vars["example_globals"].values()):
        pyplot = hasattr(value, "number")  # pyplot's figures, the matplotlib scraper's, keep a number when closed
        if isinstance(value, Figure) and not pyplot and not getattr(value, "_gallery_shown", False):
            value._gallery_shown = True
            path = next(block_vars["image_path_iterator"])
            value.savefig(path)
            paths.append(path)
    return figure_rst(paths, gallery_conf["src_dir"])
