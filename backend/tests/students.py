"""The synthetic students, imported by bare name in this suite; they live in testkit (bench/unitrack uses them too)."""

from testkit.students import FEATURES, STUDENT, make_students

__all__ = ["FEATURES", "STUDENT", "make_students"]
