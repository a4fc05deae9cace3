"""The newsrag chat page (Gradio): ``create_app(api, settings)`` builds it, ``launch(app, settings)``
serves it.

Example:
    >>> from rag import NewsRAG, Settings
    >>> from ui import create_app, launch
    >>> settings = Settings()
    >>> launch(create_app(NewsRAG(settings), settings), settings)  # doctest: +SKIP
"""

from __future__ import annotations

import os

# Before gradio is imported anywhere: no usage reports, no version check. Not overridable, since
# the page promises to fetch nothing from outside the machine.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

from ui._auth import logged_in
from ui.app import create_app, gradio_server, launch, launch_kwargs, mount
from ui.handlers import ChatHandlers, answer_dict

__all__ = [
    "ChatHandlers",
    "answer_dict",
    "create_app",
    "gradio_server",
    "launch",
    "launch_kwargs",
    "logged_in",
    "mount",
]
