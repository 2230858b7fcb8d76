"""Gap–resource allocation (缺口—资源配置): stock resources assigned to the facility gaps of blocks.

Step 1 of the method finds, per block, facility gaps (``gap_<key>`` of the
provision metrics) and a resource list of stock land and buildings. This
package answers "which resource closes which gap": every usable resource is
assigned — possibly split — to the gaps of blocks within walking reach, so
that as much of the gaps as possible is closed and, among all such
assignments, the walking distance carried is the least. What is left of each
gap is reported.

The catalogue (``data/allocation.toml``, loaded by :func:`allocation_rules`)
says, per provision key, which resource categories can serve it, how a
resource's area converts into the key's unit (through the standards'
``conversion.*`` values) and which walking radius (``radius_m.*``) limits the
distance from resource to block.

The optimisation is a linear programme solved exactly (HiGHS simplex, the build
SciPy ships, as :func:`scipy.optimize.linprog` calls it: :mod:`~blockcheck.allocation.highs`),
see :func:`allocate`.

The package holds :mod:`~blockcheck.allocation.rules` (the catalogue),
:mod:`~blockcheck.allocation.inputs` (input checks, resource points, pool
areas and :func:`unused_pool_m2`), :mod:`~blockcheck.allocation.distances` (resource-to-block
distances), :mod:`~blockcheck.allocation.solve` (the arcs and the LP:
:func:`allocate`) and :mod:`~blockcheck.allocation.tables` (output columns,
remaining gaps, :func:`allocation_summary`). Import everything from
``blockcheck.allocation``.
"""

from __future__ import annotations

from blockcheck.allocation.inputs import unused_pool_m2
from blockcheck.allocation.rules import (
    USABLE_STATUSES,
    AllocationRule,
    AllocationRules,
    ResourcePool,
    allocation_rules,
)
from blockcheck.allocation.solve import allocate
from blockcheck.allocation.tables import ALLOCATION_COLUMNS, REMAINING_COLUMNS, SUMMARY_COLUMNS, allocation_summary
from blockcheck.errors import AllocationError

__all__ = [
    "ALLOCATION_COLUMNS",
    "REMAINING_COLUMNS",
    "SUMMARY_COLUMNS",
    "USABLE_STATUSES",
    "AllocationError",
    "AllocationRule",
    "AllocationRules",
    "ResourcePool",
    "allocate",
    "allocation_rules",
    "allocation_summary",
    "unused_pool_m2",
]
