"""The authoritative DNS listener: every public hosted zone served over UDP and TCP (RFC 1035, RFC 7766,
RFC 6891), answered by the resolver from the same per-revision zone snapshots as TestDNSAnswer.

* ``wire``: the query's header, question and OPT read by hand, and the small replies built by hand (pure);
* ``zones``: which hosted zone answers a name, and the freshness check that keeps answers current;
* ``responder``: one query in, one response out (resolver, signing seam, EDNS, TC), with its cache;
* ``signing``: the seam to DNSSEC signing (no zone signs until it is wired in);
* ``listener``: the UDP and TCP sockets of one process (``SO_REUSEPORT``), started from the app lifespan.
"""
