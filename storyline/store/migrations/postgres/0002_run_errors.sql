-- core: why a run stopped early (NULL for a run that finished normally); its counts are what it committed
ALTER TABLE runs ADD COLUMN error text;
