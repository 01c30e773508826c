"""Values of the reg* types (regclass, regtype, regproc, regnamespace, regrole): an OID that prints as a name."""

from __future__ import annotations


class RegOid(int):
    """An OID (binary form, comparisons, arithmetic) whose text form is the object's name, as PostgreSQL prints it.

    >>> r = RegOid(1259, "pg_class"); (r == 1259, str(r), f"{r}")
    (True, 'pg_class', 'pg_class')
    """

    name: str

    def __new__(cls, oid: int, name: str | None = None) -> RegOid:
        self = super().__new__(cls, oid)
        self.name = str(int(oid)) if name is None else name
        return self

    def __str__(self) -> str:
        return self.name

    def __format__(self, spec: str) -> str:
        return self.name if not spec else int.__format__(int(self), spec)

    def __repr__(self) -> str:
        return f"RegOid({int(self)}, {self.name!r})"

    def __reduce__(self) -> tuple[object, ...]:
        return (RegOid, (int(self), self.name))
