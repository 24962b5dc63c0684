# One root-cause vocabulary: quality's categories are intelligence's FdaRootCause (FDA's
# openFDA root_cause_description text). Every value recorded before is kept as it was (the
# stored text does not change, so existing root causes need no data migration); the choices
# gain the three FDA values quality's list lacked (Finished device change control, Packaging
# design/selection, Pending) and the labels become the shared "FDA root cause" ones.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("quality", "0001_initial")]

    operations = [
        migrations.RemoveConstraint(
            model_name='rootcause',
            name='root_cause_category_known',
        ),
        migrations.AlterField(
            model_name='rootcause',
            name='category',
            field=models.CharField(choices=[('Component change control', 'Component change control'), ('Component design/selection', 'Component design/selection'), ('Counterfeit', 'Counterfeit'), ('Device Design', 'Device Design'), ('Employee error', 'Employee error'), ('Environmental control', 'Environmental control'), ('Equipment maintenance', 'Equipment maintenance'), ('Error in labeling', 'Error in labeling'), ('Finished device change control', 'Finished device change control'), ('Incorrect or no expiration date', 'Incorrect or no expiration date'), ('Labeling Change Control', 'Labeling Change Control'), ('Labeling design', 'Labeling design'), ('Labeling False and Misleading', 'Labeling False and Misleading'), ('Labeling mix-ups', 'Labeling mix-ups'), ('Material/Component Contamination', 'Material/Component Contamination'), ('Mixed-up of materials/components', 'Mixed-up of materials/components'), ('No Marketing Application', 'No Marketing Application'), ('Nonconforming Material/Component', 'Nonconforming Material/Component'), ('Other', 'Other'), ('Package design/selection', 'Package design/selection'), ('Packaging', 'Packaging'), ('Packaging change control', 'Packaging change control'), ('Packaging design/selection', 'Packaging design/selection'), ('Packaging process control', 'Packaging process control'), ('Pending', 'Pending'), ('Process change control', 'Process change control'), ('Process control', 'Process control'), ('Process design', 'Process design'), ('Radiation Control for Health and Safety Act', 'Radiation Control for Health and Safety Act'), ('Release of Material/Component prior to receiving test results', 'Release of Material/Component prior to receiving test results'), ('Reprocessing Controls', 'Reprocessing Controls'), ('Software change control', 'Software change control'), ('Software design', 'Software design'), ('Software Design Change', 'Software Design Change'), ('Software design (manufacturing process)', 'Software design (manufacturing process)'), ('Software Manufacturing/Software Deployment', 'Software Manufacturing/Software Deployment'), ('Software in the Use Environment', 'Software in the Use Environment'), ('Storage', 'Storage'), ('Under Investigation by firm', 'Under Investigation by firm'), ('Unknown/Undetermined by firm', 'Unknown/Undetermined by firm'), ('Use error', 'Use error'), ('Vendor change control', 'Vendor change control')], max_length=80, verbose_name='root-cause category'),
        ),
        migrations.AddConstraint(
            model_name='rootcause',
            constraint=models.CheckConstraint(condition=models.Q(('category__in', ['Component change control', 'Component design/selection', 'Counterfeit', 'Device Design', 'Employee error', 'Environmental control', 'Equipment maintenance', 'Error in labeling', 'Finished device change control', 'Incorrect or no expiration date', 'Labeling Change Control', 'Labeling design', 'Labeling False and Misleading', 'Labeling mix-ups', 'Material/Component Contamination', 'Mixed-up of materials/components', 'No Marketing Application', 'Nonconforming Material/Component', 'Other', 'Package design/selection', 'Packaging', 'Packaging change control', 'Packaging design/selection', 'Packaging process control', 'Pending', 'Process change control', 'Process control', 'Process design', 'Radiation Control for Health and Safety Act', 'Release of Material/Component prior to receiving test results', 'Reprocessing Controls', 'Software change control', 'Software design', 'Software Design Change', 'Software design (manufacturing process)', 'Software Manufacturing/Software Deployment', 'Software in the Use Environment', 'Storage', 'Under Investigation by firm', 'Unknown/Undetermined by firm', 'Use error', 'Vendor change control'])), name='root_cause_category_known'),
        ),
    ]
