"""The demo (``CARNET_DEMO``): its population, time travel and outbox pages, ``carnet demo``.

At the top of the layers (docs/architecture.md): the population drives every capability's services, time
travel runs the worker cycle. Nothing imports it; ``config/urls.py`` mounts its pages by name.
See docs/subsystems/demo.md.
"""
