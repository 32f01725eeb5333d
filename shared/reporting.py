"""The reporting helpers in one import, as the chapters use them (``from shared.reporting import
...``). They live in four modules, named after what they hold:

- :mod:`shared.provenance`: code hash, device, commit, ``start_run`` / ``run.finish``;
- :mod:`shared.formatting`: durations, ``glue``, ``mean_sd``, tables;
- :mod:`shared.stats`: paired tests over seeds, Holm's correction, the reading of a claim;
- :mod:`shared.claims`: tolerances, comparisons, the rule and its verdicts.

All four are presentation: none of them determines a stored run's numbers (``shared.store``).
"""

from shared.claims import (  # noqa: F401
    BUDGETS,
    NOT_JUDGED,
    RULE,
    VERDICT_MEANING,
    VERDICTS,
    Comparison,
    Tolerance,
    _values,
    claim_interval,
    claim_text,
    claim_verdict,
    comparison_table,
    pooled_sd,
    t_quantile,
    verdict_counts,
)
from shared.formatting import TABLE_CLASS, Text, format_duration, format_table, glue, mean_sd, table  # noqa: F401
from shared.provenance import (  # noqa: F401
    GENERATED,
    PROVENANCE_FIELDS,
    PROVENANCE_OUT_ENV,
    ChapterRun,
    Provenance,
    code_cells,
    code_hash,
    device_description,
    git_commit,
    runs_summary_text,
    start_run,
)
from shared.stats import (  # noqa: F401
    ALPHA,
    OUTCOMES,
    READINGS,
    PairedResult,
    claim_reading,
    holm,
    one_run_range,
    paired_direction,
    paired_frame,
    paired_test,
    paired_tests,
)
