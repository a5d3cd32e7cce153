"""The reports: the owner's daily digest and the monthly performance review. Pure.

Made from a frozen snapshot of the store (``facts.Facts``) by pure functions: ``daily.digest``
and ``monthly.review`` return plain data that the templates lay out (``sending.render``), and
``monthly.review_csv`` the figures as numbers. Layers inside: ``stats`` (medians, p90s),
``money`` (amounts as written), ``periods`` (days and months in the business's time zone),
``timeline`` (what a record's timeline says), ``measures`` (the figures of one window),
``lists`` (who is waiting now), ``needs`` (what needs a person), ``present`` and ``sections``
(the figures as people read them).
"""
