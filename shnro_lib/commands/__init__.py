"""Sub-commands of the ``shnro`` CLI: each module defines ``register(app)``."""
