<?php

declare(strict_types=1);

// The engine's stage histograms (Pushcast\Client::stageLatencies()) as the PHP bench scripts
// hand them to tests/bench/stages.py: buckets as [[upper bound µs, events], ...] (json_encode
// would turn bounds 0, 1, ... into a plain list).
function stage_report(Pushcast\Client $client): array
{
    $stages = $client->stageLatencies();
    foreach ($stages as $stage => $s) {
        $stages[$stage]['buckets'] = array_map(null, array_keys($s['buckets']), array_values($s['buckets']));
    }
    return $stages;
}
