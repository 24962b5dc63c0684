"""Execution (X1-X4): what happens to affected units once a recall is approved.

Words: a *hold* stops affected stock at our own sites from leaving our custody; a *return
authorisation* (RA) tells a holder what to send back, with the carrier and waybill; a
*receipt* is one scan (or lot and quantity) at the warehouse, reconciled against the RA and
posted as a ``returned`` trace event into a *quarantine* location; a *disposition* decides
what happens to a quarantined unit or lot quantity (repair, replace, destroy, return to
supplier, release); a *work order* corrects units on site (field action) by the nearest
qualified service provider. ``selectors.recall_accounting`` proves every affected unit is
somewhere: at a holder, in transit, in quarantine, dispositioned, or used up as reported.
"""
