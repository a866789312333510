"""The Open311 GeoReport v2 API at /open311/v2/, in JSON and XML (the format is the URL suffix).

    discovery.{fmt}                    where the API is, what it speaks, how to get a key
    services.{fmt}                     the service catalogue
    services/{service_code}.{fmt}      one service's questions (attributes)
    requests.{fmt}            GET      public requests: by id, service, date range, status
    requests.{fmt}            POST     file a request (an API key with the scope requests:submit)
    requests/{id}.{fmt}                one public request
    tokens/{token}.{fmt}               a token's request (we file at once: the token is the id)
    servicerequestupdates.{fmt}        FixMyStreet's extension: status changes in a date range

Reading needs no key: what it shows is public by design, so it shows nothing personal (see
`documents`). Filing acts as the partner operator who created the key, through the same
`services.services.request_file` as every other channel.

Modules: `views` (the endpoints and the wrapper every call goes through), `arguments` (reading
and checking what a client sends), `selectors` (the public reads), `documents` (what goes out),
`formats` (JSON and XML on the wire), `throttle` (calls per key or address).
"""
