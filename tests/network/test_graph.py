import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

from gardencity.network import multi_source_distances, snap_to_graph, walk_graph_from_roads


def _random_roads(seed: int = 3) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    xs = np.cumsum(rng.uniform(60, 140, 12))
    ys = np.cumsum(rng.uniform(60, 140, 12))
    lines = [shapely.LineString([(x, y) for y in ys]) for x in xs]
    lines += [shapely.LineString([(x, y) for x in xs]) for y in ys]
    return gpd.GeoDataFrame({"walkable": [True] * len(lines)}, geometry=lines, crs=4547)


def test_distances_match_networkx() -> None:
    graph = walk_graph_from_roads(_random_roads())
    g = nx.Graph()
    for u, v, length in zip(graph.edge_u, graph.edge_v, graph.edge_length, strict=True):
        g.add_edge(int(u), int(v), weight=float(length))
    sources = [0, 17, 80]
    ours = multi_source_distances(graph, sources, 600.0)
    theirs = nx.multi_source_dijkstra_path_length(g, set(sources), cutoff=600.0)
    for node in range(graph.n_nodes):
        if node in theirs:
            assert ours[node] == pytest.approx(theirs[node])
        else:
            assert np.isinf(ours[node])


def test_crossing_without_shared_vertex_does_not_connect() -> None:
    bridge = gpd.GeoDataFrame(
        geometry=[
            shapely.LineString([(0, 50), (100, 50)]),
            shapely.LineString([(50, 0), (50, 100)]),
        ],
        crs=4547,
    )
    graph = walk_graph_from_roads(bridge)
    assert graph.n_nodes == 4
    assert np.isinf(multi_source_distances(graph, [0], 1e6)).sum() == 2


def test_expressways_are_not_walkable() -> None:
    roads = gpd.GeoDataFrame(
        {"walkable": [True, False]},
        geometry=[shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(100, 0), (200, 0)])],
        crs=4547,
    )
    assert walk_graph_from_roads(roads).edge_length.sum() == pytest.approx(100.0)


def test_snap_uses_the_nearer_end_along_the_edge() -> None:
    graph = walk_graph_from_roads(
        gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (100, 0)])], crs=4547)
    )
    snap = snap_to_graph(graph, np.array([shapely.Point(30, 10)]))
    node_distance = np.array([0.0, 100.0]) if graph.nodes[0][0] == 0 else np.array([100.0, 0.0])
    assert snap.distance[0] == pytest.approx(10.0)
    assert snap.network_distance(node_distance)[0] == pytest.approx(40.0)


def test_a_pickled_graph_builds_its_spatial_indexes_again_when_asked() -> None:
    import pickle

    graph = walk_graph_from_roads(_random_roads())
    assert "node_tree" not in graph.__dict__ and "edge_tree" not in graph.__dict__  # not yet
    _ = graph.node_tree, graph.edge_tree
    copy = pickle.loads(pickle.dumps(graph))
    assert "node_tree" not in copy.__dict__ and "edge_tree" not in copy.__dict__
    probe = np.array([shapely.Point(300, 420), shapely.Point(1000, 90)])
    for tree in ("node_tree", "edge_tree"):
        ours, theirs = getattr(copy, tree), getattr(graph, tree)
        assert np.array_equal(ours.query_nearest(probe), theirs.query_nearest(probe))
    assert np.array_equal(copy.nodes, graph.nodes) and (copy.matrix != graph.matrix).nnz == 0


def test_unique_points_are_numpys_unique_rows_in_the_same_order() -> None:
    from gardencity.network.build import unique_points

    rng = np.random.default_rng(7)
    for low, high in ((-50, 50), (-(10**9), 10**9), (3_000_000_000, 3_000_000_100)):
        keys = rng.integers(low, high, size=(5_000, 2), dtype=np.int64)
        keys[::3] = keys[1::3][: len(keys[::3])]  # repeated points
        rows, inverse = unique_points(keys)
        expected_rows, expected_inverse = np.unique(keys, axis=0, return_inverse=True)
        assert np.array_equal(rows, expected_rows)
        assert np.array_equal(inverse, expected_inverse.ravel())
        assert np.array_equal(rows[inverse], keys)
    huge = np.array([[-(2**62), 0], [2**62, 1], [-(2**62), 0]], dtype=np.int64)  # overflow
    rows, inverse = unique_points(huge)
    assert rows.tolist() == [[-(2**62), 0], [2**62, 1]] and inverse.tolist() == [0, 1, 0]


def test_snapping_keeps_to_the_work_threads_and_the_snap_does_not_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    import gardencity.network.reach as reach
    from gardencity.indicators.walking_cells import walking_cells
    from gardencity.toolkit import THREADS_VARIABLE

    roads = _random_roads()
    graph = walk_graph_from_roads(roads)
    x0, y0, x1, y1 = roads.total_bounds
    # cells of 2 m: more than one chunk of the first pass (50,000 points)
    land = gpd.GeoDataFrame(
        {"category": ["residential"]},
        geometry=[shapely.box(x0 + 50, y0 + 50, x0 + 550, y0 + 550)],
        crs=4547,
    )
    zones = gpd.GeoDataFrame(
        {"population": [1.0]}, index=["built_up_area"], geometry=[shapely.box(x0, y0, x1, y1)],
        crs=4547,
    )  # fmt: skip
    first_pass: set[int] = set()
    real = reach._nearest_edges

    def nearest_edges(*args: object) -> object:
        if args[3] == 8:  # the first pass's chunks (the second runs on the caller's thread)
            first_pass.add(threading.get_ident())
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(reach, "_nearest_edges", nearest_edges)
    monkeypatch.setenv(THREADS_VARIABLE, "1")
    one = walking_cells(zones, land, graph, cell_size_m=2.0)
    assert len(one.table.first_of_key()) > 50_000
    assert len(first_pass) == 1
    monkeypatch.setenv(THREADS_VARIABLE, "2")
    two = walking_cells(zones, land, graph, cell_size_m=2.0)
    assert one.snap is not None and two.snap is not None
    for field in ("distance", "node_u", "node_v", "to_u", "to_v"):
        assert np.array_equal(getattr(one.snap, field), getattr(two.snap, field))
