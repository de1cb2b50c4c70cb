"""Slugs other code relies on: the five support types and the feature categories."""

# The article's five types of peer support, in its order.
SUPPORT_TYPES = [
    ("12-step-programs", "12-Step Programs"),
    ("recovery-groups", "Recovery Groups"),
    ("peer-mentors", "Peer Mentors & Support Specialists"),
    ("family-and-friends", "Family and Friends"),
    ("sober-companions", "Sober Companions"),
]
SUPPORT_TYPE_SLUGS = [slug for slug, _ in SUPPORT_TYPES]

# Feature categories (facets) in display order.
FEATURE_CATEGORIES = [
    ("format", "Meeting format"),
    ("audience", "Audience"),
    ("accessibility", "Accessibility"),
    ("language", "Language"),
    ("focus", "Focus"),
]
FEATURE_CATEGORY_SLUGS = [slug for slug, _ in FEATURE_CATEGORIES]
