"""``python -m bench``."""

from bench.run import app

app(prog_name="python -m bench")
