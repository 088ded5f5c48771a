-- An index for the alert queue's observable filter (AlertFilter.Observable), which asks
-- whether observables holds an element with that value: a containment query this index answers
-- without reading the alerts.
CREATE INDEX alerts_observables ON alerts USING gin (observables jsonb_path_ops);
