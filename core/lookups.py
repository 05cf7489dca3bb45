"""`in` on an integer column drops the numbers no row can hold, as Django's own exact/gt/lt lookups do
(django.db.models.lookups.IntegerFieldOverflow), instead of handing them to the driver.

Why: an id list that arrives in a form (a ModelMultipleChoiceField of the product's forms or of the admin,
or ids a view reads from POST) may hold 99999999999999999999. SQLite's driver raises OverflowError on a
parameter above 64 bits (a 500 where the form should say "not one of the available choices"); PostgreSQL
compares the column as numeric instead, which matches nothing the slow way. Without the impossible values
the lookup matches what it matched before: only the rows whose id was in the list.
"""

import copy

from django.core.exceptions import EmptyResultSet
from django.db.models import IntegerField
from django.db.models.lookups import In


@IntegerField.register_lookup
class IntegerFieldIn(In):
    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(self.lhs.output_field.get_internal_type())
            kept = [v for v in self.rhs if not (isinstance(v, int) and (
                (low is not None and v < low) or (high is not None and v > high)))]
            if len(kept) != len(self.rhs):
                if not kept:
                    raise EmptyResultSet
                narrowed = copy.copy(self)
                narrowed.rhs = kept
                return In.process_rhs(narrowed, compiler, connection)
        return super().process_rhs(compiler, connection)
