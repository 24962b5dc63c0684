"""Notices and customer relations (N1–N5): notice templates per regime and language, one
notice per holder (and contact) from the frozen scope, delivery and acknowledgement,
reminders and escalation, reply forms with the sub-consignee cascade, the customer
timeline, satisfaction surveys and compensation offers.

Words: a *holder* is a party that has (or had) affected units in a recall's scope; a
*notice* is one communication to one holder's recipient; a *reply* is the holder's answer;
a *sub-consignee* is a party the holder passed units on to.
"""
