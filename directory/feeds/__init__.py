"""Interoperability feeds: Meeting Guide JSON, Open Referral HSDS 3.0 and iCalendar."""
