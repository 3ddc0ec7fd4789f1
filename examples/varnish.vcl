# Varnish in front of ifm-api, purged by tag: examples/purge_receiver.py receives the API's
# webhooks and sends BAN requests naming the tags a change made stale. Every public response
# of the API carries them in Surrogate-Key (space separated).
vcl 4.1;

backend api {
    .host = "127.0.0.1";
    .port = "8000";
}

acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "BAN") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.X-Purge-Regex) {
            return (synth(400, "X-Purge-Regex missing"));
        }
        # Lurker-friendly: only obj.http.* in the ban expression.
        ban("obj.http.Surrogate-Key ~ (^|\s)(" + req.http.X-Purge-Regex + ")(\s|$)");
        return (synth(200, "Banned"));
    }
}

sub vcl_deliver {
    # The tags are for this cache only.
    unset resp.http.Surrogate-Key;
    unset resp.http.Cache-Tag;
}
