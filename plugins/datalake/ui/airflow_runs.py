"""The hourly DAGs' runs from Airflow's metadata database (read-only), keyed by arrival hour,
so the strip can tell a failed hour from one not yet run and link to the run and its logs."""

from __future__ import annotations

import logging
from datetime import datetime

from datalake.hourly.landing import hour_key

log = logging.getLogger(__name__)


def runs_by_hour(dag_ids: list[str], since: datetime) -> dict[str, dict[str, dict]]:
    """dag_id -> run key -> {"run_id", "state"} of the latest run of each hour."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    found: dict[str, dict[str, dict]] = {dag_id: {} for dag_id in dag_ids}
    try:
        with create_session() as session:
            rows = session.execute(
                select(
                    DagRun.dag_id,
                    DagRun.run_id,
                    DagRun.state,
                    DagRun.data_interval_start,
                    DagRun.data_interval_end,
                )
                .where(DagRun.dag_id.in_(dag_ids), DagRun.data_interval_start >= since)
                .order_by(DagRun.id)
            ).all()
    except Exception:  # the page still shows the warehouse's view without Airflow's
        log.exception("could not read the DAG runs")
        return found
    for dag_id, run_id, state, start, end in rows:
        # One-hour runs only; a later run of the same hour (a rerun) wins.
        if start is not None and end is not None and (end - start).total_seconds() == 3600:
            found[dag_id][hour_key(start)] = {
                "run_id": run_id,
                "state": str(state.value if hasattr(state, "value") else state),
            }
    return found
