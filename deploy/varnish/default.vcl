# Varnish in front of gunicorn: the site's shared HTTP cache (Varnish 7, Debian's package).
#
#   varnishd -a :80 -f /path/to/deploy/varnish/default.vcl -s malloc,256m
#   FRONTEND_CACHE_URL=http://127.0.0.1:6081   (in the app's environment: where it sends its purges)
#
# What is stored is what the app says a shared cache may store: a response whose Cache-Control has
# s-maxage (the app adds it to public pages when FRONTEND_CACHE_URL is set, cms/frontend_cache.py),
# and nothing else. Browsers get max-age=0 and revalidate, so a purge reaches every reader at once.
#
# Purging (cms/frontend_cache.py sends PURGE through wagtail.contrib.frontend_cache's HTTP backend):
#   PURGE /cooperation/     bans that path with every query string (/cooperation/?area=…&year_from=…):
#                           filtered views are endless permutations, no list of URLs could name them.
#   PURGE /cooperation/*    bans every path under /cooperation/ (a wildcard path, as CloudFront's).
# Bans are tested against obj.http.x-host / x-path (copied onto each stored object), so Varnish's ban
# lurker clears them in the background instead of every later lookup testing them.

vcl 4.1;

import std;

# The app server (gunicorn). The tests and the benchmark run a copy of this file with their own port.
backend default {
    .host = "127.0.0.1";
    .port = "8000";
    .first_byte_timeout = 60s;
}

# Who may purge: the app servers (here the same machine).
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (!client.ip ~ purgers) {
            return (synth(403, "Purging is not allowed from this address"));
        }
        # Unquoted operands (a quoted one would never match in Varnish 7.1): a URL and a Host header
        # hold no spaces.
        if (req.url ~ "\*$") {
            # Every path under the prefix (regex metacharacters in the path escaped).
            set req.http.x-ban = "obj.http.x-host == " + req.http.host + " && obj.http.x-path ~ ^" +
                regsuball(regsub(req.url, "\*$", ""), "([][.+?^$(){}|\\])", "\\\1");
        } else {
            set req.http.x-ban = "obj.http.x-host == " + req.http.host + " && obj.http.x-path == " +
                regsub(req.url, "\?.*$", "");
        }
        if (!std.ban(req.http.x-ban)) {
            return (synth(400, std.ban_error()));
        }
        return (synth(200, "Purged"));
    }

    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.http.Authorization) {
        return (pass);
    }
    # The admin, Django's admin, previews (served under /admin/), and the CMS's login pages.
    if (req.url ~ "^/(admin|django-admin)(/|$)") {
        return (pass);
    }
    # A signed-in reader or editor (session), or anyone holding a CSRF token (a form they are
    # filling in, the password form of a protected page): their pages are theirs alone.
    if (req.http.Cookie ~ "(^|;\s*)(sessionid|csrftoken)=") {
        return (pass);
    }
    # Every other cookie (analytics, consent banners, …) is irrelevant to the app's public pages:
    # dropped, so that readers who carry one share the stored page.
    unset req.http.Cookie;
    # The language is in the path (/fr/…), never taken from Accept-Language on public pages; Django
    # still says "Vary: Accept-Language" on unprefixed URLs, which would store a copy per browser locale.
    unset req.http.Accept-Language;
    return (hash);
}

sub vcl_hash {
    # The scheme the TLS proxy received, as it tells the app (pages' absolute links are built from it);
    # then Varnish's own: the URL and the Host.
    hash_data(req.http.X-Forwarded-Proto);
}

sub vcl_backend_response {
    # Kept on the stored object for the bans above (removed before delivery).
    set beresp.http.x-host = bereq.http.host;
    set beresp.http.x-path = regsub(bereq.url, "\?.*$", "");

    if (bereq.uncacheable) {
        return (deliver);
    }
    # Store only what the app explicitly shares: s-maxage, never private/no-store/no-cache, never a
    # response that sets a cookie. Everything else (redirects to the login, the password form of a
    # protected page, errors, search) goes to the backend every time.
    if (beresp.http.Set-Cookie
        || beresp.http.Cache-Control !~ "s-maxage=[1-9]"
        || beresp.http.Cache-Control ~ "(private|no-store|no-cache)") {
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;  # remember "do not store" for this URL for a while (hit-for-miss)
        return (deliver);
    }
    # Varnish takes the TTL from s-maxage. Graceful for a short while (a stale page while the fresh one
    # is fetched, or if the app is down).
    set beresp.grace = 10s;
    # Text compressed once, here, for every reader that accepts gzip (the CSV and JSON exports above all).
    if (beresp.http.Content-Type ~ "^(text/|application/(json|xml|atom\+xml|javascript))") {
        set beresp.do_gzip = true;
    }
    return (deliver);
}

sub vcl_deliver {
    unset resp.http.x-host;
    unset resp.http.x-path;
    # Whether Varnish answered from its store: for tests, the benchmark and operators.
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}

sub vcl_synth {
    set resp.http.Content-Type = "text/plain; charset=utf-8";
    set resp.body = resp.reason;
    return (deliver);
}
