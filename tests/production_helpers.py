"""What tests that start the site as production does share."""

# A secret key that passes the production settings' strength check (never used elsewhere).
GOOD_KEY = "k3y-Zq8vP0aL7sX2mN5bR9tW1cY4dF6gH8jK0lQ3eU7iO2pA5sD"
