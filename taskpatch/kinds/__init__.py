"""What each kind of spec does, one module per kind, over ``walker``.

Each module exports ``plan_<kind>(walker, spec, resource)``: the edits one
spec makes in one resource. ``planner`` maps spec classes to them.
"""
