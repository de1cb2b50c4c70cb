"""Public submissions: a visitor's suggested listing, correction or closure report, and the
curators' review of it. One folder, every layer of it (see docs/architecture.md):

- ``models.py``: ``Submission`` (the ``directory`` app's model; its table is unchanged);
- ``forms.py`` (the suggestion form and the listing fields it shares) and ``report_form.py``
  (the report form and its meeting times);
- ``views.py`` and ``urls.py``: the public pages (``/suggest/``, ``/resources/<slug>/report/``);
- ``services.py``: storing a submission, approving and rejecting it, likely duplicates;
- ``proposals.py``: a proposal's format, from a form and onto a listing;
- ``review.py``: the field-by-field diff a curator reads;
- ``curator_mail.py``: the curators' e-mail, a task;
- ``admin.py``: the curators' review screen.
"""
