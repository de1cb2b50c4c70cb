"""The Meeting Guide JSON format, both ways: the feed we publish (``export``), and the
intergroup feeds we import (``importing``, one row at a time by ``rows``), sharing the format's
vocabulary (``format``). docs/feeds.md says what each known client does with a feed."""
