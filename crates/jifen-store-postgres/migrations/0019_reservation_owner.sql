-- Who owns a reservation: a mall order or a checkout deduction moves its points only through
-- itself; the plain reservation API refuses to post, void or refund what such an owner holds.
ALTER TABLE reservations ADD COLUMN owner_kind TEXT;
ALTER TABLE reservations ADD COLUMN owner_ref TEXT;
UPDATE reservations SET owner_kind = 'mall_order',
    owner_ref = (SELECT CAST(o.id AS TEXT) FROM mall_orders o
                 WHERE o.program_id = reservations.program_id AND o.reservation_id = reservations.transfer_id)
WHERE EXISTS (SELECT 1 FROM mall_orders o
              WHERE o.program_id = reservations.program_id AND o.reservation_id = reservations.transfer_id);
UPDATE reservations SET owner_kind = 'checkout', owner_ref = order_ref
WHERE owner_kind IS NULL AND EXISTS (SELECT 1 FROM transfers t
    WHERE t.program_id = reservations.program_id AND t.id = reservations.transfer_id
      AND t.reason LIKE '积分抵扣 checkout deduction%');
