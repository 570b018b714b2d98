"""The photofinder window: a thin Qt layer over ``photofinder.library``.

Only this package imports Qt. Heavy work (the index, the model, thumbnails)
runs in workers; the GUI thread only paints and reacts.
"""
