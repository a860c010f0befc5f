# START quickstart
import io

import kokyaku

csv = b"""customer_id,order_id,placed_at,amount
A,a1,2024-01-10,1200
A,a2,2024-02-05,800
B,b1,2024-01-15,3000
C,c1,2024-03-01,oops
"""
log = kokyaku.read_csv(io.BytesIO(csv), timezone="Asia/Tokyo", currency="JPY")
print(log.ingestion["rows_read"], log.ingestion["rows_rejected"])  # 4 1 (row 4: invalid amount)

customers = log.customers(as_of="2024-03-31")  # a pandas DataFrame (summary + RFM + CPM)
print(customers[["customer_id", "orders", "net", "rfm_segment", "cpm_class"]])

repeat = log.repeat(as_of="2024-03-31", f2_window_days=90)
print(repeat["repeat_rate"]["by_orders"]["rate"])  # 0.5

try:
    log.summary(dormant="yes")
except kokyaku.InvalidOptionError as e:  # also a ValueError
    print(e.code)  # invalid_option
# END quickstart
