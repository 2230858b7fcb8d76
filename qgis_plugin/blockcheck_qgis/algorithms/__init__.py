"""The Processing algorithms: each is its parameters plus one call into the core through the bridge."""

from .export import ExportHearingAlgorithm
from .run_steps import EightListsAlgorithm, FindResourcesAlgorithm, HealthCheckAlgorithm
from .validate import ValidateAlgorithm
from .whatif import WhatIfAlgorithm

__all__ = ["ALGORITHMS"]

#: In the order of the method: check the input, the four steps, then scenarios and hearings.
ALGORITHMS = (
    ValidateAlgorithm,
    HealthCheckAlgorithm,
    FindResourcesAlgorithm,
    EightListsAlgorithm,
    WhatIfAlgorithm,
    ExportHearingAlgorithm,
)
