"""The demo generator's word lists and weights (``directory.demo``): data, not logic.

Every name, street and venue here is made up or generic; the weights say how often each
kind of listing, schedule and place appears, as in real directories.
"""

from __future__ import annotations

import datetime as dt

from directory.models import Listing, Organization

# Share of listings per support type. Meeting-based types dominate, as in real directories.
SUPPORT_TYPE_WEIGHTS = {
    "12-step-programs": 48,
    "recovery-groups": 24,
    "family-and-friends": 14,
    "peer-mentors": 9,
    "sober-companions": 5,
}
ATTENDANCE_WEIGHTS = [
    (Listing.Attendance.IN_PERSON, 60),
    (Listing.Attendance.ONLINE, 25),
    (Listing.Attendance.HYBRID, 12),
    (Listing.Attendance.INACTIVE, 3),
]
STATUS_WEIGHTS = [("published", 92), ("draft", 5), ("archived", 3)]
# Schedules per listing: meeting-based types average ~3.4, one-to-one services ~0.7 (office
# hours), so 100,000 listings give about 300,000 schedules.
MEETING_SCHEDULE_COUNTS = [(1, 12), (2, 20), (3, 25), (4, 20), (5, 13), (6, 6), (7, 4)]
SERVICE_SCHEDULE_COUNTS = [(0, 45), (1, 40), (2, 15)]
SCHEDULE_KIND_WEIGHTS = [("weekly", 85), ("monthly", 10), ("interval", 5)]
START_TIMES = [
    ("06:30", 3),
    ("07:00", 8),
    ("07:30", 4),
    ("08:00", 3),
    ("09:00", 3),
    ("10:00", 4),
    ("10:30", 2),
    ("11:00", 2),
    ("12:00", 10),
    ("12:15", 2),
    ("13:00", 2),
    ("14:00", 1),
    ("15:00", 1),
    ("16:00", 1),
    ("17:00", 3),
    ("17:30", 4),
    ("18:00", 12),
    ("18:30", 10),
    ("19:00", 18),
    ("19:30", 12),
    ("20:00", 10),
    ("20:30", 4),
    ("21:00", 3),
]
DURATIONS = [(60, 55), (90, 40), (75, 5)]
# Any Sunday will do: anchors of every-N-weeks schedules are this + weekday + whole weeks.
ANCHOR_SUNDAY = dt.date(2025, 1, 5)

# Where listings are: US-heavy, some other English-speaking countries, a sprinkle elsewhere.
COUNTRY_WEIGHTS = {"US": 78, "GB": 8, "CA": 6, "AU": 4, "IE": 1.5, "NZ": 1, "ZA": 1}
OTHER_COUNTRIES_WEIGHT = 0.5
REGION_NAMES = {
    "GB": {"ENG": "England", "SCT": "Scotland", "WLS": "Wales", "NIR": "Northern Ireland"},
    "CA": {
        "01": "AB",
        "02": "BC",
        "03": "MB",
        "04": "NB",
        "05": "NL",
        "07": "NS",
        "08": "ON",
        "09": "PE",
        "10": "QC",
        "11": "SK",
        "12": "YT",
        "13": "NT",
        "14": "NU",
    },
    "AU": {
        "01": "ACT",
        "02": "NSW",
        "03": "NT",
        "04": "QLD",
        "05": "SA",
        "06": "TAS",
        "07": "VIC",
        "08": "WA",
    },
}
CENTER_SPELLING = {"US": "Center"}  # everyone else writes "Centre"

FIRST_NAMES = [
    "Alex", "Sam", "Jordan", "Taylor", "Casey", "Morgan", "Riley", "Jamie", "Robin", "Avery",
    "Chris", "Pat", "Dana", "Lee", "Terry", "Kim", "Jesse", "Drew", "Quinn", "Rowan",
    "Maria", "Rosa", "Ana", "Luis", "Carlos", "Miguel", "Sofia", "Elena", "Jorge", "Lucia",
    "Mary", "John", "Linda", "David", "Susan", "Mike", "Karen", "Paul", "Nancy", "Mark",
    "Grace", "Ben", "Ellie", "Tom", "Hannah", "Nick", "Olivia", "Ryan", "Zoe", "Omar",
    "Aisha", "Priya", "Ravi", "Mei", "Kenji", "Tariq", "Noor", "Darnell", "Keisha", "Andre",
]  # fmt: skip
ORG_PREFIXES = [
    "Riverside", "Lakeside", "Hillcrest", "Northgate", "Harborview", "Cedar Valley",
    "Maple Grove", "Summit", "Bridgeway", "New Dawn", "Clearwater", "Evergreen", "Fresh Start",
    "Pathways", "Open Door", "Second Wind", "Lighthouse", "Stepping Stones", "Willow Creek",
    "Sunrise", "Blue Heron", "Stonebridge", "Meadowbrook", "Oak Hollow", "Silver Birch",
    "Crossroads", "Harmony", "Beacon", "Turning Point", "Horizon",
]  # fmt: skip
ORG_KIND_WEIGHTS = [
    (Organization.Kind.TREATMENT_CENTRE, 35),
    (Organization.Kind.COMMUNITY, 30),
    (Organization.Kind.FELLOWSHIP, 25),
    (Organization.Kind.ONLINE_PLATFORM, 10),
]
ORG_SUPPORT_TYPES = {
    Organization.Kind.TREATMENT_CENTRE: ["12-step-programs", "peer-mentors", "family-and-friends"],
    Organization.Kind.COMMUNITY: ["recovery-groups", "peer-mentors", "sober-companions"],
    Organization.Kind.FELLOWSHIP: ["12-step-programs", "family-and-friends"],
    Organization.Kind.ONLINE_PLATFORM: ["12-step-programs", "recovery-groups"],
}
STREETS = [
    "Main", "Church", "Maple", "Oak", "Park", "Elm", "Pine", "Cedar", "Lake", "Hill",
    "Washington", "Lincoln", "Jefferson", "Mill", "Spring", "River", "Center", "Walnut",
    "Chestnut", "Highland", "Franklin", "Union", "Market", "Grove", "Sunset", "Willow",
]  # fmt: skip
GB_STREETS = [
    "High", "Church", "Station", "Victoria", "Mill", "Park", "London", "Queen's", "King's",
    "Green", "Manor", "Chapel", "Bridge", "School", "Market", "Castle", "Albert", "North",
]  # fmt: skip
STREET_SUFFIXES = ["Street", "Avenue", "Road", "Boulevard", "Drive", "Lane", "Way"]
GB_STREET_SUFFIXES = ["Street", "Road", "Lane", "Way", "Place", "Terrace"]
VENUES = [
    "St. Luke's Church Hall", "Grace Community Church", "First Methodist Church, Room 4",
    "St. Mary's Parish Hall", "Trinity Lutheran Church", "Unitarian Fellowship Hall",
    "Public Library Meeting Room", "Veterans Memorial Hall", "Community {center}",
    "Recovery Community {center}", "Alano Club", "YMCA, Room 2", "Senior {center}",
    "Friends Meeting House", "Fire Station Community Room", "Neighborhood House",
    "Hospital Conference Room B", "Wellness {center}", "Serenity Club", "Civic {center}, Annex",
]  # fmt: skip
TWELVE_STEP_GROUP_NAMES = [
    "Serenity", "Keep It Simple", "Came to Believe", "Happy Destiny", "Into Action",
    "Back to Basics", "Just for Today", "Easy Does It", "First Things First",
    "Live and Let Live", "Spiritual Awakening", "Freedom", "New Beginnings", "Sunlight",
    "Attitude Adjustment", "Road to Recovery", "Hope and Courage", "Language of the Heart",
    "Principles Before Personalities", "One Day at a Time",
]  # fmt: skip
SPANISH_GROUP_NAMES = ["Esperanza", "Nueva Vida", "Serenidad", "Renacer", "Libertad", "Amistad"]
# Meeting-format feature → how a 12-step meeting's name says it.
FORMAT_CORES = {
    "Step Study": "Step Study",
    "Big Book": "Big Book Study",
    "Speaker": "Speaker Meeting",
    "Discussion": "Discussion",
    "Literature": "Literature Meeting",
    "Meditation": "Meditation Meeting",
    "11th Step Meditation": "11th Step Meditation",
    "Daily Reflections": "Daily Reflections",
    "Tradition Study": "Traditions Study",
    "Living Sober": "Living Sober Discussion",
    "Candlelight": "Candlelight Meeting",
    "Breakfast": "Breakfast Meeting",
    "Secular": "Secular Meeting",
}
FORMAT_EXTRAS = list(FORMAT_CORES) + ["Cross Talk Permitted", "Outdoor", "Birthday"]
AUDIENCE_WORDS = {
    "Women": "Women's",
    "Men": "Men's",
    "Young People": "Young People's",
    "Newcomer": "Newcomers'",
    "Seniors": "Seniors'",
    "LGBTQ": "LGBTQ+",
    "People of Color": "People of Color",
    "Professionals": "Professionals'",
}
AUDIENCES = list(AUDIENCE_WORDS)
RECOVERY_GROUP_NAMES = [
    "SMART Recovery Discussion", "SMART Recovery Tools Workshop", "SMART Recovery Meeting",
    "Recovery Dharma Meditation", "Recovery Dharma Sangha", "LifeRing Secular Recovery",
    "Refuge Recovery Meeting", "Women for Sobriety Circle", "Secular Recovery Circle",
    "Celebrate Recovery Night", "Harm Reduction Support Circle", "Wellbriety Circle",
]  # fmt: skip
FAMILY_GROUP_NAMES = [
    "Family Hope Group", "Al-Anon Family Group", "Al-Anon Courage to Change",
    "Nar-Anon Family Group", "Parents of Addicted Loved Ones", "CRAFT Family Skills Group",
    "Families Anonymous", "SMART Recovery Family & Friends", "Alateen Group",
    "Grandparents Raising Grandchildren Circle", "Partners in Recovery Support",
]  # fmt: skip
PEER_SERVICE_NAMES = [
    "Peer Recovery Coaching", "Recovery Mentor Drop-in", "Peer Support Specialist Hours",
    "Recovery Coach Walk-in", "Peer Mentoring Program", "Recovery Navigation Service",
    "Veteran Peer Mentors", "Reentry Peer Support", "Emergency Department Peer Coaching",
]  # fmt: skip
COMPANION_SERVICE_NAMES = [
    "Sober Companion Service", "Recovery Companion Program", "Sober Coach Home Support",
    "Sober Travel Companions", "Transition Companion Service",
]  # fmt: skip
DESCRIPTION_LINES = {
    "12-step-programs": [
        "An informal group working the twelve steps together; newcomers are welcome.",
        "Members share experience, strength and hope; no sign-up needed.",
        "A relaxed meeting with a short reading followed by sharing.",
    ],
    "recovery-groups": [
        "A self-empowering, science-based group; all pathways to recovery are welcome.",
        "Guided discussion and practical tools for changing addictive behaviour.",
        "A peer-led circle that meets to support each other's recovery.",
    ],
    "family-and-friends": [
        "For relatives and friends of someone with a drinking or drug problem.",
        "Parents, partners and friends share what has helped them cope.",
        "A supportive space for family members, whether or not their loved one is in recovery.",
    ],
    "peer-mentors": [
        "Certified peer recovery specialists offer one-to-one support and navigation.",
        "Drop in to meet a recovery coach with lived experience of addiction.",
    ],
    "sober-companions": [
        "Trained sober companions support people through early recovery at home and away.",
        "Companions with lived experience help with transitions after treatment.",
    ],
}
AREA_CODES = ["202", "212", "213", "303", "312", "404", "415", "503", "602", "617", "713", "816"]
CA_AREA_CODES = ["416", "514", "604", "613", "780"]
CREDENTIAL_STATES = [("current", 50), ("expired", 15), ("unverified", 25), ("revoked", 10)]
DEMO_CREDENTIAL_TYPES = [
    ("DPRS", "Demo Peer Recovery Specialist", 2),
    ("DRC", "Demo Recovery Coach", 3),
    ("DSC", "Demo Sober Companion Certificate", None),
]


# --- Small helpers --------------------------------------------------------------------------------
