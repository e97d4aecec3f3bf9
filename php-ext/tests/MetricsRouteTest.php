<?php

declare(strict_types=1);

use Illuminate\Broadcasting\BroadcastManager;
use Illuminate\Http\Request;
use Illuminate\Routing\Router;
use PHPUnit\Framework\TestCase;
use Pushcast\Laravel\PushcastServiceProvider;

// Debian's Laravel 8.83 loads each component separately; with Laravel 11 (Composer) they are there.
if (!class_exists(Router::class)) {
    require_once 'Illuminate/Routing/autoload.php';
    require_once 'Illuminate/Events/autoload.php';
}

/** Refuses every request: stands for an app's auth middleware on the metrics route. */
final class DenyMetricsMiddleware
{
    public function handle($request, \Closure $next)
    {
        return new \Illuminate\Http\Response('denied', 403);
    }
}

/**
 * The metrics route PushcastServiceProvider registers when a pushcast connection sets
 * `metrics_route`, dispatched through Illuminate's real Router.
 */
final class MetricsRouteTest extends TestCase
{
    private static function boot(array $connection): Illuminate\Container\Container
    {
        $app = laravel_container();
        $app->instance('config', new Illuminate\Config\Repository(['broadcasting' => [
            'default' => 'pushcast',
            'connections' => ['pushcast' => $connection + [
                'driver' => 'pushcast', 'key' => 'app-key', 'secret' => 'app-secret', 'app_id' => '12345',
                'options' => test_server_options() + ['max_in_flight' => 13],
            ]],
        ]]));
        $app->singleton(BroadcastManager::class, static fn ($app) => new BroadcastManager($app));
        $router = new Router(new Illuminate\Events\Dispatcher($app), $app);
        $app->instance('router', $router);
        $app->instance(Router::class, $router);
        (new PushcastServiceProvider($app))->boot();
        return $app;
    }

    public function testTheRouteServesThePrometheusText(): void
    {
        $app = self::boot(['metrics_route' => true]);
        $broadcaster = $app->make(BroadcastManager::class)->connection('pushcast');
        $broadcaster->broadcast(['metrics-route'], 'Tick', ['n' => 1]);
        self::assertSame(0, $broadcaster->getPushcast()->flush(10000)['pending']);

        $response = $app['router']->dispatch(Request::create('/pushcast/metrics', 'GET'));
        self::assertSame(200, $response->getStatusCode());
        self::assertStringStartsWith('text/plain; version=0.0.4', $response->headers->get('Content-Type'));
        $body = $response->getContent();
        self::assertStringContainsString("# TYPE pushcast_delivered_total counter\n", $body);
        self::assertMatchesRegularExpression('/^pushcast_delivered_total [1-9][0-9]*$/m', $body);
        self::assertStringContainsString('pushcast_circuit_state{endpoint="' . test_server_url() . '",state="closed"} 1', $body);
    }

    public function testACustomPathWithMiddleware(): void
    {
        $app = self::boot(['metrics_route' => '/internal/metrics', 'metrics_middleware' => ['deny']]);
        $app['router']->aliasMiddleware('deny', DenyMetricsMiddleware::class);
        $response = $app['router']->dispatch(Request::create('/internal/metrics', 'GET'));
        self::assertSame(403, $response->getStatusCode());
    }

    public function testNoRouteUnlessConfigured(): void
    {
        $app = self::boot([]);
        self::assertCount(0, $app['router']->getRoutes());
    }
}
