from directory.models.content import FAQ, ChecklistItem, CrisisLine, GuidePoint, GuideSection
from directory.models.feed_sources import FeedJob, FeedListing, FeedRun, FeedSource
from directory.models.listings import Listing, Location
from directory.models.organizations import Membership, Organization
from directory.models.places import Place
from directory.models.schedules import Schedule
from directory.models.search import SearchVersion
from directory.models.taxonomy import Feature, FeatureCategory, SupportType
from directory.peer_workers.models import Credential, CredentialType, PeerWorker
from directory.submissions.models import Submission

__all__ = [
    "FAQ",
    "ChecklistItem",
    "Credential",
    "CredentialType",
    "CrisisLine",
    "Feature",
    "FeedJob",
    "FeedListing",
    "FeedRun",
    "FeedSource",
    "FeatureCategory",
    "GuidePoint",
    "GuideSection",
    "Location",
    "Membership",
    "Organization",
    "PeerWorker",
    "Place",
    "Listing",
    "Schedule",
    "SearchVersion",
    "Submission",
    "SupportType",
]
