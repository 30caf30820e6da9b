"""Reading who a stage goes to, who is copied, told and may raise it: posts and routes.

A "who" is written as a post (`"team_manager"`), a list meaning "any of"
(`["assistant_team_manager", "team_manager"]`), or a table choosing the route as well
(`{ post = "head_of_service", route = "service_area" }`). A post is a built-in role or
a key of the ladder's `[posts]`.
"""

from __future__ import annotations

from escalation_rules._toml_table import SLUG, Table, expected
from escalation_rules.model import Post, Role, Route, Who
from escalation_rules.responders import RESPONDER_ROLES

_POST_KEYS = ("name", "route")
_WHO_KEYS = ("post", "route")


class WhoReader:
    """Reads "who" values against the posts the ladder declares."""

    def __init__(self, top: Table) -> None:
        self.posts = _read_posts(top)
        self._known = {p.key for p in self.posts}

    def responder(self, table: Table) -> Who:
        if "responder" not in table.data:
            table.fail("responder", "missing required key")
            return Who((Role.SOCIAL_WORKER.value,))
        who = self._who(table, "responder", table.data["responder"], responder=True)
        return who or Who((Role.SOCIAL_WORKER.value,))

    def fallbacks(self, table: Table) -> tuple[Who, ...]:
        found = (self._who(table, k, v, responder=True) for k, v in table.items("fallback"))
        return tuple(w for w in found if w is not None)

    def people(self, table: Table, key: str) -> tuple[Who, ...]:
        found = (self._who(table, k, v, responder=False) for k, v in table.items(key))
        # dict.fromkeys drops repeats but keeps the order the council wrote.
        return tuple(dict.fromkeys(w for w in found if w is not None))

    def raisers(self, table: Table) -> tuple[str, ...]:
        if "raised_by" not in table.data:
            return (Role.IRO.value,)
        names = (self._post(table, k, v, responder=False) for k, v in table.items("raised_by"))
        raisers = tuple(dict.fromkeys(n for n in names if n is not None))
        if not raisers and isinstance(table.data["raised_by"], list):
            table.fail("raised_by", "must name at least one post (such as 'iro')")
        return raisers or (Role.IRO.value,)

    def _who(self, table: Table, key: str, value: object, responder: bool) -> Who | None:
        route = None
        if isinstance(value, dict):
            inner = Table(value, table.path(key), table.sink)
            inner.check_keys(_WHO_KEYS)
            if "post" not in value:
                inner.fail("post", "missing required key")
                return None
            if "route" in value:
                route = inner.choice("route", Route, Route.SOCIAL_WORKER_LINE, "route")
            table, key, value = inner, "post", value["post"]
        values = value if isinstance(value, list) else [value]
        if not values:
            table.fail(key, "must name at least one post")
            return None
        names = [self._post(table, f"{key}[{i}]" if isinstance(value, list) else key, v,
                            responder) for i, v in enumerate(values)]  # fmt: skip
        posts = tuple(dict.fromkeys(n for n in names if n is not None))
        return Who(posts, route) if posts and len(posts) == len(names) else None

    def _post(self, table: Table, key: str, value: object, responder: bool) -> str | None:
        if not isinstance(value, str):
            table.fail(key, f"must be a string naming a post or role, got {value!r}")
            return None
        if value in self._known:
            return value
        roles = [r.value for r in (RESPONDER_ROLES if responder else Role)]
        if value in roles:
            return value
        if responder and value in {r.value for r in Role}:
            table.fail(key, f"role {value!r} cannot respond at a stage ({expected(roles)})")
            return None
        known = expected([*roles, *sorted(self._known)])
        table.fail(key, f"unknown role or post {value!r} ({known}; declare new posts in [posts])")
        return None


def _read_posts(top: Table) -> tuple[Post, ...]:
    table = top.table("posts")
    if table is None:
        return ()
    posts = []
    roles = {r.value for r in Role}
    for key in table.data:
        if not SLUG.match(key):
            table.fail(
                key, f"a post's key must be a slug (lower-case letters, digits, '_'): {key!r}"
            )
            continue
        if key in roles:
            table.fail(key, f"{key!r} is a built-in role: name the post differently")
            continue
        inner = table.table(key)
        if inner is None:
            continue
        inner.check_keys(_POST_KEYS)
        route = inner.choice("route", Route, Route.SOCIAL_WORKER_LINE, "route")
        posts.append(Post(key, inner.text("name", required=True), route))
    return tuple(posts)
