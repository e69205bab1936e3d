"""Shared test set-up.

``HYPOTHESIS_PROFILE=thorough`` runs the property tests ten times longer
(for hunting bugs locally); the default keeps the suite fast for CI.
"""

import os

from hypothesis import settings

# No deadline: a cold first example pays for imports and the LALR build.
settings.register_profile("default", max_examples=200, deadline=None)
settings.register_profile("thorough", max_examples=3000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
