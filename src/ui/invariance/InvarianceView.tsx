/** The invariance tab (the paper's Fig. 5): feature distances and class probability under shifts, scales, rotations. */
export function InvarianceView() {
  return (
    <section className="panel" id="view-invariance" role="tabpanel" aria-labelledby="tab-invariance">
      <h2 className="panel-title">Invariance</h2>
    </section>
  );
}
