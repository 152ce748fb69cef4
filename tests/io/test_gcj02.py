import numpy as np

from gardencity.io.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02


def test_round_trip_error_below_1e6_degrees() -> None:
    lon = np.array([116.3912, 121.4737, 113.2644])
    lat = np.array([39.9073, 31.2304, 23.1291])
    glon, glat = wgs84_to_gcj02(lon, lat)
    back_lon, back_lat = gcj02_to_wgs84(glon, glat)
    assert np.max(np.abs(back_lon - lon)) < 1e-6
    assert np.max(np.abs(back_lat - lat)) < 1e-6


def test_beijing_offset_is_a_few_hundred_metres() -> None:
    glon, glat = wgs84_to_gcj02(np.array([116.3912]), np.array([39.9073]))
    dx = (glon[0] - 116.3912) * 111_320 * np.cos(np.radians(39.9073))
    dy = (glat[0] - 39.9073) * 110_574
    assert 100 < np.hypot(dx, dy) < 700


def test_point_outside_china_is_unchanged() -> None:
    glon, glat = wgs84_to_gcj02(np.array([2.3522]), np.array([48.8566]))
    assert glon[0] == 2.3522
    assert glat[0] == 48.8566
