"""The Slack door: a signed slash command and its buttons (views), Slack's markup (parse), Block Kit replies (blocks)."""
from .views import MAX_SLACK_BODY, bp

__all__ = ["MAX_SLACK_BODY", "bp"]
