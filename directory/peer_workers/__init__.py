"""Peer workers and their credentials, every layer of them in one folder (see
docs/architecture.md):

- ``models.py``: ``PeerWorker``, ``Credential``, ``CredentialType`` (the ``directory`` app's
  models; tables unchanged);
- ``search.py``: ``/peer-workers/``, its facets and pages, and a published worker's page;
- ``credentials.py``: a credential as the public reads it (verified and current, expired…);
- ``verification.py``: curators recording a credential as verified;
- ``views.py`` and ``urls.py``: the public pages; ``admin.py``: staff's screens.
"""
