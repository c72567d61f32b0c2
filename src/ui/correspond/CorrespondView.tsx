/** The correspondence tab (the paper's Fig. 8 / Table 1): how consistently a part is treated across images. */
export function CorrespondView() {
  return (
    <section className="panel" id="view-correspond" role="tabpanel" aria-labelledby="tab-correspond">
      <h2 className="panel-title">Correspondence</h2>
    </section>
  );
}
