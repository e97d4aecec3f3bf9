<?php

// No scheduled or closure commands: `php artisan` here runs migrate and queue:work.
